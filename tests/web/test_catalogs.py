"""Every message the pages use has a Finnish translation (extracted the way pybabel does it)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import procurement.app.web
from procurement.app.web.i18n import catalog_paths

WEB = Path(procurement.app.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def test_every_message_has_a_finnish_translation() -> None:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(WEB, METHODS, keywords=keywords, options_map=OPTIONS)
    }
    finnish: dict[str, str] = {}
    for path in catalog_paths("fi"):
        with path.open("rb") as handle:
            finnish.update(
                {
                    (m.id if isinstance(m.id, str) else m.id[0]): (
                        m.string if isinstance(m.string, str) else m.string[0]
                    )
                    for m in read_po(handle)
                    if m.id
                }
            )
    untranslated = sorted(m for m in used if not finnish.get(m))
    assert len(used) > 200
    assert untranslated == []
