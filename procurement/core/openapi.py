"""What the generated document cannot say by itself: headers of a second answer, several media types."""

from dataclasses import dataclass
from typing import Any, ClassVar

from litestar.openapi.spec import OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType

STRING = Schema(type=OpenAPIType.STRING)
BINARY = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]


def header(description: str, schema: Schema = STRING) -> OpenAPIHeader:
    """A documented response header."""
    return OpenAPIHeader(description=description, required=True, schema=schema)


@dataclass
class DocumentedOperation(Operation):
    """An operation whose answers gain the headers and media types listed on the subclass.

    ``HEADERS`` maps a status to the headers its answer carries; ``MEDIA`` maps a status to the media
    types its body may have (each a binary string), replacing what the generator guessed.
    """

    HEADERS: ClassVar[dict[str, dict[str, OpenAPIHeader]]] = {}
    MEDIA: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        responses: dict[str, Any] = self.responses or {}
        for status, headers in self.HEADERS.items():
            answer = responses[status]
            assert isinstance(answer, OpenAPIResponse)  # noqa: S101 (the generator builds responses)
            answer.headers = {**(answer.headers or {}), **headers}
        for status, media in self.MEDIA.items():
            answer = responses[status]
            assert isinstance(answer, OpenAPIResponse)  # noqa: S101 (the generator builds responses)
            answer.content = {name: OpenAPIMediaType(schema=BINARY) for name in media}
