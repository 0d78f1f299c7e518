"""Walking the pages a signed-in role (or the public) can reach by links, as a person clicking would."""

import re
from collections import deque
from html.parser import HTMLParser

from litestar import Litestar
from litestar.testing import TestClient

SKIP = re.compile(r"/ui/(static/|sign-out|language|.*\.png$|.*/download|.*/export|.*/pdf$)")
SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+")
PER_SHAPE = 3  # pages of one kind (one referral, one run…) visited at most this many times


class VisibleText(HTMLParser):
    """The text a reader sees: no script or style, nothing marked as another language, no code values."""

    HIDDEN = {"script", "style", "code", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        # A link marked as leading to a page in another language (hreflang) is not followed: the English
        # award decision document is English by intent.
        if tag == "a" and found.get("href") and found.get("hreflang") in (None, "fi"):
            self.links.append(str(found["href"]))
        if tag in ("input", "br", "img", "meta", "link", "hr"):
            return
        other_language = found.get("lang") not in (None, "fi") and tag != "html"
        hidden = tag in self.HIDDEN or other_language or (bool(self.stack) and self.stack[-1][1])
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


def read(html: str) -> VisibleText:
    """Parse a page."""
    parser = VisibleText()
    parser.feed(html)
    return parser


def crawl(client: TestClient[Litestar], starts: list[str], *, limit: int = 400) -> dict[str, str]:
    """Every /ui page reachable by GET links from the starts: address → HTML (status checked by callers)."""
    seen: dict[str, str] = {}
    shapes: dict[str, int] = {}
    queue = deque(starts)
    statuses: dict[str, int] = {}
    while queue and len(seen) < limit:
        path = queue.popleft().split("#")[0]
        if path in seen or not path.startswith("/ui") or SKIP.match(path):
            continue
        shape = SHAPE.sub("X", path.split("?")[0]) + ("?" if "?" in path else "")
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        page = client.get(path)
        statuses[path] = page.status_code
        seen[path] = page.text
        queue.extend(link.replace("&amp;", "&") for link in read(page.text).links)
    crawl.statuses = statuses  # type: ignore[attr-defined]
    return seen
