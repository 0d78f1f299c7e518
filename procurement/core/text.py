"""What text the product accepts: no control characters (PostgreSQL refuses NUL), bounded nesting."""

import re
from collections.abc import Iterator
from typing import Any

# One-line text (names, labels, codes): no C0 or C1 control character at all.
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Free text (descriptions, questions, answers, reasons) may also hold tabs and line breaks.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Deeper than any schema of the API nests; a deeper body is refused before it is walked or decoded.
MAX_DEPTH = 32

CONTROL_MESSAGE = "Control characters (such as NUL) are not allowed; use plain text."
# In a JSON text a control character is an escape (\u0000–\u001f but \t \n \r, \u007f–\u009f, \b, \f)
# or, for U+0080–U+009F, its raw UTF-8 bytes: only a body with one of these needs the walk below.
_MAYBE_CONTROL = re.compile(
    rb"\\u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|\\[bf]|\xc2[\x80-\x9f]"
)


def may_hold_control(raw: bytes) -> bool:
    """Whether a JSON text may hold a control character in a string (a fast test of the raw bytes)."""
    return _MAYBE_CONTROL.search(raw) is not None


def control_character(value: str) -> str | None:
    """The first control character in free text, as U+XXXX, or None (tab and line breaks are allowed)."""
    found = _CONTROL.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    # A name is shown as it was sent, its control characters spelled out.
    shown = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", key)
    return f"{path}.{shown}" if path else shown


def refusals(document: Any) -> Iterator[tuple[str, str]]:
    """Each (field, message) of a decoded JSON document that holds a control character; walked without
    recursion, so a hostile nesting cannot exhaust the stack."""
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            yield path or "body", f"Nested deeper than {MAX_DEPTH} levels."
            continue
        if isinstance(value, str):
            char = control_character(value)
            if char:
                yield path or "body", f"{CONTROL_MESSAGE} Found {char}."
        elif isinstance(value, dict):
            for key, item in value.items():
                char = control_character(str(key))
                if char:
                    yield _join(path, str(key)), f"{CONTROL_MESSAGE} Found {char} in the name."
                stack.append((_join(path, str(key)), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((_join(path, i), item, depth + 1) for i, item in enumerate(value))
