"""Every page each role reaches by links, in Finnish: no English word, no code, and no dead link."""

import re
from pathlib import Path

from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.app.web.i18n import catalog_paths
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.web.crawl import crawl, read
from tests.web.helpers import sign_in

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # service_start, partially_admitted: a code shown as data
WORD = re.compile(r"[A-Za-zÅÄÖåäö]+")
# Words both languages write alike, or names of things (formats, standards, solvers).
SHARED = {
    "csv",
    "xlsx",
    "parquet",
    "excel",
    "highs",
    "cbc",
    "sha",
    "rfc",
    "kela",
    "koski",
    "ytj",
    "alv",
    "id",
}


def english_words() -> set[str]:
    """Words of the English messages that no Finnish translation uses: seeing one on a page is a leak."""
    english: set[str] = set()
    finnish: set[str] = set()
    for path in catalog_paths("fi"):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                ids = [message.id] if isinstance(message.id, str) else list(message.id)
                strings = [message.string] if isinstance(message.string, str) else list(message.string)
                english |= {w.lower() for i in ids for w in WORD.findall(re.sub(r"%\(\w+\)s", "", i))}
                finnish |= {w.lower() for s in strings for w in WORD.findall(s)}
    return {w for w in english - finnish - SHARED if len(w) >= 4}


def leaks(html: str, words: set[str]) -> list[str]:
    """English words and raw codes in the visible text of a page."""
    text = re.sub(r"\S+@\S+|\S+://\S+", " ", " ".join(read(html).parts))  # e-mail and web addresses are data
    found = sorted({w for w in WORD.findall(text) if w.lower() in words})
    return found + sorted(set(CODE.findall(text)))


def test_every_page_of_every_role_is_finnish_and_every_link_leads_somewhere(
    client: TestClient[Litestar], session: Session, settings: Settings, tmp_path: Path
) -> None:
    tokens = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    words = english_words()
    assert {"payable", "service", "start", "withheld", "supplier"} <= words  # the check can see a leak
    problems: dict[str, list[str]] = {}
    visited = 0
    for who, starts in (
        (None, ["/ui/public", "/ui/sign-in", "/ui/register"]),
        ("officer_lahti", ["/ui/officer"]),
        ("finance_lahti", ["/ui/finance"]),
        ("supplier_1", ["/ui/supplier"]),
    ):
        client.cookies.clear()
        if who:
            sign_in(client, tokens[who])
        pages = crawl(client, starts)
        visited += len(pages)
        for path, html in pages.items():
            status = crawl.statuses[path]  # type: ignore[attr-defined]
            found = leaks(html, words)
            if status != 200 or found or 'lang="fi"' not in html:
                problems[f"{who}: {path}"] = [f"status {status}", *found]
    assert problems == {}
    print(f"pages checked in Finnish: {visited}")
    assert visited > 40
