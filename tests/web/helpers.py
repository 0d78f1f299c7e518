"""Signing a test client in through the page, as a browser does."""

import re

from litestar import Litestar
from litestar.testing import TestClient

CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient[Litestar], token: str) -> str:
    """Sign in with a token; returns the CSRF token of the signed-in session."""
    page = client.get("/ui/sign-in")
    signed = client.post(
        "/ui/sign-in", data={"token": token, "_csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text
    return csrf_of(client.get("/ui/sign-in").text)
