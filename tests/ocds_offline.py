"""The standard's own validator (libcoveocds) run offline on the schema files vendored in the package.

libcoveocds reads the standard from a ZIP (given here as bytes built from the vendored files) and the
extensions from their URLs (answered here from the vendored copies). Any other address, and any socket
that is not local, fails the test: validation never touches the network.
"""

import io
import json
import socket
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

from minicompetition.publication.ocds import DEFINITIONS_PATCH, EXTENSIONS, SCHEMA_DIR, merge_patch

STANDARD = SCHEMA_DIR / "1.1.5"
SCHEMA_BASE = "https://standard.open-contracting.org/schema/1__1__5/"


def _zip(files: dict[str, bytes], root: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", "")
        for relative, content in sorted(files.items()):
            archive.writestr(f"{root}/{relative}", content)
    return buffer.getvalue()


def _url_map() -> dict[str, bytes]:
    """Each address the tools ask for, with the vendored bytes it answers."""
    served: dict[str, bytes] = {}
    for name, url in EXTENSIONS.items():
        # raw.githubusercontent.com/<owner>/<repo>/<ref>/extension.json: the tools fetch the repo's archive.
        owner, repo, ref = url.split("/")[3:6]
        files = {
            path.relative_to(SCHEMA_DIR / "extensions" / name).as_posix(): path.read_bytes()
            for path in (SCHEMA_DIR / "extensions" / name).rglob("*")
            if path.is_file()
        }
        if name == "lots":  # the two definitions the vendored extensions refer to (schema/README.md)
            patched = merge_patch(
                json.loads(files["release-schema.json"]), json.loads(DEFINITIONS_PATCH.read_text())
            )
            files["release-schema.json"] = json.dumps(patched).encode()
        served[f"https://github.com/{owner}/{repo}/archive/{ref}.zip"] = _zip(files, f"{repo}-{ref}")
        base = url.removesuffix("extension.json")
        served |= {base + relative: content for relative, content in files.items()}
    for path in STANDARD.glob("*.json"):
        served[SCHEMA_BASE + path.name] = path.read_bytes()
    return served


def _standard_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted(STANDARD.rglob("*")):
            if path.is_file():
                archive.write(path, f"standard-1__1__5/schema/{path.relative_to(STANDARD).as_posix()}")
    return buffer.getvalue()


@contextmanager
def offline() -> Iterator[list[str]]:
    """Serve the vendored files to `requests`, refuse everything else; yields the URLs asked for."""
    served, asked = _url_map(), []
    original_send, original_connect = HTTPAdapter.send, socket.socket.connect

    def send(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = str(request.url)
        asked.append(url)
        if url not in served:
            raise requests.ConnectionError(f"offline test: {url} is not a vendored file")
        raw = HTTPResponse(
            body=io.BytesIO(served[url]),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            status=200,
            preload_content=False,
            request_url=url,
        )
        return self.build_response(request, raw)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX or (
            isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1")
        ):
            return original_connect(self, address)
        raise OSError(f"offline test: no network connection to {address}")

    HTTPAdapter.send = send  # type: ignore[method-assign]
    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        HTTPAdapter.send = original_send  # type: ignore[method-assign]
        socket.socket.connect = original_connect  # type: ignore[method-assign]


def validate(package: dict[str, Any]) -> dict[str, Any]:
    """libcoveocds's result for a release or record package (its `validation_errors` among others)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"context": "api", "standard_zip": _standard_zip()})
    # The validator writes the extended schema to a file in its output folder: keep it out of the tree.
    with offline(), tempfile.TemporaryDirectory() as folder:
        return ocds_json_output(
            folder, json_data=json.loads(json.dumps(package)), lib_cove_ocds_config=config
        )
