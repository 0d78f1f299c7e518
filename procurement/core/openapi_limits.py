"""The served document states every limit the API enforces: msgspec's own schema fills in what Litestar drops.

Litestar documents a constraint only at a field's top level; inside a list, a dict's values or an
optional field (`Annotated[str, Meta(max_length=…)] | None`) it is lost, though msgspec enforces it. A
client (and a test) reading the document must see every length limit, so the limits are copied from
`msgspec.json.schema` of each request body into the generated document, once, when the app is built.
"""

import typing
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import Components, OpenAPI, Reference, Schema

# JSON-schema keyword -> the attribute of Litestar's Schema.
LIMITS = {
    "maxLength": "max_length",
    "minLength": "min_length",
    "pattern": "pattern",
    "maximum": "maximum",
    "minimum": "minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "maxItems": "max_items",
    "minItems": "min_items",
    "maxProperties": "max_properties",
    "minProperties": "min_properties",
}


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) else None


class _LimitedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose document also carries the limits (built lazily, as before)."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        document = super()._build_openapi()
        add_limits(self.app, document)
        return document


def document_limits(app: Litestar) -> None:
    """Have the app's OpenAPI document, when it is built, state every limit its request bodies enforce."""
    # Litestar always makes its own plugin; its class is swapped for the subclass (same slots), so the
    # document is still built on first use and start-up stays as fast.
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _LimitedOpenAPIPlugin


def add_limits(app: Litestar, document: OpenAPI) -> None:
    """Copy every constraint of each request body's msgspec schema into an OpenAPI document."""
    components = document.components if isinstance(document.components, Components) else None
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            field = handler.parsed_fn_signature.parameters.get("data")
            struct = _struct_of(field.annotation) if field is not None else None
            item = (document.paths or {}).get(route.path_format)
            if struct is None or item is None:
                continue
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                body = getattr(operation, "request_body", None)
                content = getattr(body, "content", None) or {}
                media = content.get("application/json")
                if media is None or media.schema is None:
                    continue
                generated = msgspec.json.schema(struct)
                _merge(
                    media.schema,
                    generated,
                    defs=generated.get("$defs", {}),
                    components=components,
                    seen=set(),
                )


def _resolve_litestar(schema: Schema | Reference | None, components: Components | None) -> Schema | None:
    if isinstance(schema, Reference):
        name = schema.ref.rsplit("/", 1)[-1]
        found = (components.schemas or {}).get(name) if components else None
        return found if isinstance(found, Schema) else None
    return schema


def _resolve_msgspec(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _kind(schema: Schema | dict[str, Any]) -> str | None:
    kind: Any = schema.type if isinstance(schema, Schema) else schema.get("type")
    if isinstance(kind, list):
        return None
    return str(getattr(kind, "value", kind)) if kind is not None else None


def _merge(
    target: Schema | Reference | None,
    source: dict[str, Any],
    *,
    defs: dict[str, Any],
    components: Components | None,
    seen: set[int],
) -> None:
    schema = _resolve_litestar(target, components)
    source = _resolve_msgspec(source, defs)
    if schema is None or id(schema) in seen:
        return
    seen.add(id(schema))
    options = source.get("anyOf") or source.get("oneOf")
    if options:
        mine = [_resolve_litestar(o, components) for o in (schema.one_of or schema.any_of or [schema])]
        for option in options:
            resolved = _resolve_msgspec(option, defs)
            match = next((m for m in mine if m is not None and _kind(m) == _kind(resolved)), None)
            if match is not None and _kind(resolved) != "null":
                _merge(match, option, defs=defs, components=components, seen=seen)
        return
    for keyword, attribute in LIMITS.items():
        if keyword in source and getattr(schema, attribute, None) is None:
            setattr(schema, attribute, source[keyword])
    for name, sub in (source.get("properties") or {}).items():
        _merge((schema.properties or {}).get(name), sub, defs=defs, components=components, seen=seen)
    if isinstance(source.get("items"), dict) and isinstance(schema.items, Schema | Reference):
        _merge(schema.items, source["items"], defs=defs, components=components, seen=seen)
    extra = source.get("additionalProperties")
    if isinstance(extra, dict) and isinstance(schema.additional_properties, Schema | Reference):
        _merge(schema.additional_properties, extra, defs=defs, components=components, seen=seen)
    names = source.get("propertyNames")
    if isinstance(names, dict) and schema.property_names is None:
        schema.property_names = Schema(**{LIMITS[k]: v for k, v in names.items() if k in LIMITS})
