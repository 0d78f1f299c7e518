"""The request body's strict reading: JSON only, the schema's exact types, every unknown field named."""

from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi

JSON = "application/json"


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type header names JSON (parameters such as charset are allowed)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def unknown_fields(value: Any, annotation: Any) -> list[str]:
    """The paths of every field the schema does not know (`lines[0].foo`), in the order sent."""
    return list(_walk(value, mi.type_info(annotation), ""))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(value: Any, info: mi.Type, path: str) -> Iterator[str]:
    if isinstance(info, mi.Metadata):
        yield from _walk(value, info.type, path)
    elif isinstance(info, mi.StructType) and isinstance(value, dict):
        known = {f.encode_name: f for f in info.fields}
        for key, item in value.items():
            field = known.get(key)
            if field is None:
                if info.forbid_unknown_fields:
                    yield _join(path, str(key))
            else:
                yield from _walk(item, field.type, _join(path, str(key)))
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType) and isinstance(
        value, list
    ):
        for i, item in enumerate(value):
            yield from _walk(item, info.item_type, f"{path}[{i}]")
    elif isinstance(info, mi.DictType) and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, info.value_type, _join(path, str(key)))
    elif isinstance(info, mi.UnionType) and isinstance(value, dict):
        structs = [t for t in info.types if isinstance(t, mi.StructType)]
        if len(structs) == 1:
            yield from _walk(value, structs[0], path)


def decode_errors(body: bytes, annotation: Any) -> list[dict[str, str]] | None:
    """The body's problems against the schema (None when it decodes exactly); raises DecodeError."""
    try:
        msgspec.json.decode(body, type=annotation, strict=True)
    except msgspec.ValidationError as exc:
        try:
            unknown = unknown_fields(msgspec.json.decode(body), annotation)
        except RecursionError:  # nested past what any schema allows: the first error says enough
            unknown = []
        found = [{"key": name, "message": "Unknown field: the schema has no such field."} for name in unknown]
        if not unknown or "unknown field" not in str(exc):
            found.insert(0, {"key": "body", "message": str(exc)})
        return found
    return None
