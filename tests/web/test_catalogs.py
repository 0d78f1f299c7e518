"""Every message the pages use has a Finnish translation (extracted the way pybabel does it)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import procurement.app.web

WEB = Path(procurement.app.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def test_every_message_has_a_finnish_translation() -> None:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(WEB, METHODS, keywords=keywords, options_map=OPTIONS)
    }
    with (WEB / "locale/fi/LC_MESSAGES/messages.po").open("rb") as handle:
        finnish = {m.id: m.string for m in read_po(handle) if m.id}
    untranslated = sorted(m for m in used if not finnish.get(m))
    assert len(used) > 200
    assert untranslated == []
