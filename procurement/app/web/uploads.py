"""Evidence documents uploaded through the pages: limited in size and type, hashed, stored by their hash.

A document is kept as a file named by its SHA-256 under `<data_dir>/documents/`, outside the database
rows (the row keeps the hash, as the API's evidence does): the same document uploaded twice is one file,
and a file whose bytes no longer match its name is evidence of tampering.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procurement.app.web.messages import N_
from procurement.core.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
# Magic numbers of the accepted types: PDF and the scans people make of paper certificates.
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True)
class Stored:
    """An uploaded document: its hash, size and type."""

    sha256: str
    size: int
    media_type: str
    name: str


def documents_dir(data_dir: Path) -> Path:
    """Where documents are kept."""
    return data_dir / "documents"


def read_upload(upload: Any, *, field: str) -> bytes:
    """The bytes of an uploaded file, refused when empty or over the limit."""
    if not hasattr(upload, "file"):
        raise InvalidInput(N_("Choose the document to upload."), field=field)
    data: bytes = upload.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput(N_("A document may be at most 10 MB."), field=field)
    if not data:
        raise InvalidInput(N_("Choose the document to upload."), field=field)
    return data


def store(data: bytes, *, name: str, data_dir: Path, field: str) -> Stored:
    """Check the type by its first bytes, hash, and keep the document once by its SHA-256."""
    media_type = next((t for magic, t in SIGNATURES.items() if data.startswith(magic)), None)
    if media_type is None:
        raise InvalidInput(N_("Upload a PDF, PNG or JPEG document."), field=field)
    digest = hashlib.sha256(data).hexdigest()
    folder = documents_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        partial = folder / f".{digest}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a document
    return Stored(sha256=digest, size=len(data), media_type=media_type, name=Path(name or "").name[:200])
