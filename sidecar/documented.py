"""What a route reads and sends by itself, added to its OpenAPI operation.

The handlers read their filters, `Prefer`, `Range`, `If-Match` and the like from the request, and set
`Content-Range`, `Link` and `ETag` on their answers, so Litestar cannot see them in the signatures. A route
names them with `operation_class=documented(Extra(...))`: an `Operation` that adds them when the document
is built, and leaves the handler's binding as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

TEXT = Schema(type=OpenAPIType.STRING)
JSON, CSV, OBJECT = "application/json", "text/csv", "application/vnd.pgrst.object+json"


def header(name: str, description: str, example: str) -> Parameter:
    return Parameter(name=name, param_in="header", schema=TEXT, description=description, example=example)


def sent(description: str, example: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING, examples=[example]), description=description)


RANGE = header("Range", "the rows FIRST-LAST (`items=` optional), as `offset` and `limit`", "0-24")
COUNT = header("Prefer", "`count=exact`: Content-Range carries the total of matching rows", "count=exact")
RETURN = header(
    "Prefer", "`return=representation`: the answer carries the rows written", "return=representation"
)
ACCEPT = header(
    "Accept",
    f"{JSON} (the default), {CSV} (a header row, then one line per row) or {OBJECT} "
    "(one object: 406 unless exactly one row matches)",
    CSV,
)
IF_NONE_MATCH = header("If-None-Match", "an ETag this answer sent: 304 Not Modified while it holds", '"3"')
IF_MATCH = header(
    "If-Match", "the ETag (version) the change expects: 412 Precondition Failed when it is stale", '"3"'
)

CONTENT_RANGE = sent(
    "the rows shown and the total: FIRST-LAST/TOTAL (* without Prefer: count=exact)", "0-24/*"
)
LINK = sent("the next page, when this one is full", '</v1/accounts?id=gt.25&limit=25>; rel="next"')
LIMIT_CAPPED = sent("the page size used, when `limit` asked for more than QUEACCOUNT_MAX_PAGE_SIZE", "1000")
ETAG = sent("the answer's entity tag: send it as If-None-Match (reads) or If-Match (changes)", '"3"')
CURRENT = sent("the row's current version, when the one given is stale", '"4"')
LOCATION = sent("the created row (one row created)", "/v1/accounts/42")


@dataclass(frozen=True)
class Extra:
    """What one route reads and sends besides its signature.

    - `parameters`: query parameters and request headers.
    - `headers`: response headers, by status.
    - `bare`: statuses answered without a body (304, 204), with their description.
    - `media`: the success answer comes as CSV and as one object too (`Accept`).
    """

    parameters: tuple[Parameter, ...] = ()
    headers: Mapping[int, Mapping[str, OpenAPIHeader]] = field(default_factory=dict)
    bare: Mapping[int, str] = field(default_factory=dict)
    media: bool = False

    def add_to(self, operation: Operation) -> None:
        operation.parameters = [*(operation.parameters or []), *self.parameters]
        responses = operation.responses if operation.responses is not None else {}
        for status, description in self.bare.items():
            responses[str(status)] = OpenAPIResponse(description=description)
        for status, headers in self.headers.items():
            answer = responses[str(status)]
            assert isinstance(answer, OpenAPIResponse)
            answer.headers = {**(answer.headers or {}), **headers}
        if self.media:
            success = next(r for s, r in responses.items() if s.startswith("2"))
            assert isinstance(success, OpenAPIResponse) and success.content is not None
            body = success.content[JSON].schema
            one = body.items if isinstance(body, Schema) and body.type == OpenAPIType.ARRAY else body
            success.content[OBJECT] = OpenAPIMediaType(schema=one)
            success.content[CSV] = OpenAPIMediaType(schema=TEXT)
        operation.responses = responses


LISTED = {"Content-Range": CONTENT_RANGE, "Link": LINK, "X-Limit-Capped": LIMIT_CAPPED, "ETag": ETAG}


def conditional(versioned: bool, *parameters: Parameter, **headers: OpenAPIHeader) -> Extra:
    """A change of one row: `If-Match` and the current version on a stale answer, when rows have one."""
    if not versioned:
        return Extra(parameters=parameters)
    stale = {"ETag": CURRENT}
    return Extra((IF_MATCH, *parameters), {409: stale, 412: stale, **({204: headers} if headers else {})})


def one_row(versioned: bool) -> Extra:
    """What `GET /v1/<path>/{id}` reads and sends besides the row: its version as ETag, when it has one."""
    if not versioned:
        return Extra(parameters=(ACCEPT,), media=True)
    return Extra(
        parameters=(ACCEPT, IF_NONE_MATCH),
        headers={200: {"ETag": ETAG}, 304: {"ETag": ETAG}},
        bare={304: "Not Modified: the If-None-Match ETag is the row's version"},
        media=True,
    )


def documented(extra: Extra) -> type[Operation]:
    """An `operation_class` for a route decorator: Litestar's operation, with `extra` added."""

    @dataclass
    class Documented(Operation):
        def __post_init__(self) -> None:
            extra.add_to(self)

    return Documented
