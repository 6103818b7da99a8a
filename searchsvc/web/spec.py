"""What an endpoint takes and answers, declared once, as data, beside its view.

- `Param`: one query or path parameter. web/args.py reads and checks a request's arguments
  by it (type, default, allowed values, range, length, pattern), and web/openapi.py writes
  the same object into the OpenAPI document: the document says what validation does.
- `Operation`: one method of one URL: its summary, parameters, request body and answers.
  `@describe(Operation(...))` on a view attaches it; the document is assembled from the
  app's URL map, so a route is documented where it is defined.
- Answers are JSON Schema (OpenAPI 3.1 takes JSON Schema 2020-12 as it is), written with
  the helpers at the bottom. The error shape is one shared component (web/openapi.py):
  an Operation lists only the error statuses particular to it (`errors`), the ones every
  endpoint of its kind can answer (400, 401, 413, 414, 429, 500) are added by rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, TypeVar

Schema = dict[str, Any]
View = TypeVar("View", bound=Callable[..., Any])
ATTRIBUTE = "searchsvc_operations"  # where describe() keeps a view's operations


@dataclass(frozen=True)
class Param:
    """One parameter, as the request carries it. A value that breaks the declaration is a
    400 whose message names the parameter (web/args.py). An empty value is the default."""

    name: str
    description: str
    type: Literal["string", "integer", "boolean"] = "string"
    location: Literal["query", "path"] = "query"
    default: Any = None  # the value when absent or empty; a tuple for lists
    enum: tuple[str, ...] | None = None  # allowed values (of each item, for lists)
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None  # characters
    pattern: str | None = None  # a regular expression a value matches (re.match)
    format: str | None = None  # OpenAPI format, for readers and generators ("date")
    # the message for a value outside enum or pattern, with {name}, {value}, {allowed};
    # None: "{name} must be one of {allowed}, not {value!r}"
    invalid: str | None = None
    repeatable: bool = False  # ?tag=a&tag=b: a tuple of the non-empty values
    comma: bool = False  # ?facets=a,b: a tuple of the items; empty is the empty list
    count: bool = False  # an integer from minimum to maximum, one message for any bad value
    required: bool = False
    example: Any = None  # a value shown in the document (and tried by its tests)

    def __post_init__(self) -> None:
        # declarations the readers could not honour fail at import, not on a request
        if self.count and (self.minimum != 1 or self.maximum is None):
            raise ValueError(f"{self.name}: a count runs from minimum=1 to a maximum")
        if self.maximum is not None and self.minimum is None:
            raise ValueError(f"{self.name}: a maximum needs a minimum")
        if self.pattern is not None and self.invalid is None:
            raise ValueError(f"{self.name}: a pattern needs the message for a mismatch")
        if self.repeatable and self.comma:
            raise ValueError(f"{self.name}: repeated or a comma list, not both")

    @property
    def is_list(self) -> bool:
        return self.repeatable or self.comma


@dataclass(frozen=True)
class Body:
    """A request body: its schema, and the media types it may come as."""

    description: str
    schema: Schema  # of the JSON body
    required: bool = True
    # other media types the body may come as, with their schemas (a form's)
    alternatives: Mapping[str, Schema] = field(default_factory=dict)

    def content(self) -> dict[str, Schema]:
        """Media type -> schema, JSON first."""
        return {"application/json": self.schema, **self.alternatives}


@dataclass(frozen=True)
class Reply:
    """One answer: a JSON body of ``schema`` (shared as component ``name`` when given), or
    with ``media_type`` text whose ``schema`` is at most a string."""

    description: str
    schema: Schema | None = None
    _: KW_ONLY  # Reply("...", HTML, "text/html") would name the schema "text/html"
    name: str | None = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """One method of one URL, for the OpenAPI document and /api/docs."""

    summary: str
    ok: Reply  # the answer when all goes well (status ``status``)
    method: str = "GET"
    description: str = ""
    params: tuple[Param, ...] = ()
    body: Body | None = None
    status: int = 200
    # other answers that are not the error shape (/healthz's 503)
    replies: Mapping[int, Reply] = field(default_factory=dict)
    # error statuses particular to this operation (404, 409, 503), in the one error shape
    errors: tuple[int, ...] = ()
    admin: bool = False  # behind the admin token (bearer): adds 401, 404 and 429
    rate_limited: bool = True  # SEARCHSVC_RATE_LIMIT applies: adds 429
    tag: str = "search"


def describe(*operations: Operation) -> Callable[[View], View]:
    """Attach a view's operations (one per method it answers) for the OpenAPI document."""

    def attach(view: View) -> View:
        setattr(view, ATTRIBUTE, {op.method.lower(): op for op in operations})
        return view

    return attach


def operations_of(view: Callable[..., Any]) -> Mapping[str, Operation]:
    """The operations describe() attached to a view, by lower-case method ({} if none)."""
    found: Mapping[str, Operation] = getattr(view, ATTRIBUTE, {})
    return found


# --- JSON Schema, briefly ---------------------------------------------------------------------

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
ANY: Schema = {}  # any JSON value
HTML: Schema = {"type": "string", "description": "an HTML page"}


def obj(
    required: Mapping[str, Schema] | None = None,
    optional: Mapping[str, Schema] | None = None,
    **extra: Any,
) -> Schema:
    """An object with these keys (``required`` always present); further keys allowed
    unless ``additionalProperties=False`` is given."""
    schema: Schema = {"type": "object", "properties": {**(required or {}), **(optional or {})}}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def nullable(schema: Schema) -> Schema:
    """The schema, or null."""
    out = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def one_of(values: tuple[str, ...] | list[str], **extra: Any) -> Schema:
    """A string from ``values``."""
    return {"type": "string", "enum": list(values), **extra}


STRINGS: Schema = array(STRING)


def value_schema(param: Param) -> Schema:
    """The schema of one value of ``param`` (of each item, for a list)."""
    schema: Schema = {"type": param.type}
    for key, value in (
        ("enum", list(param.enum) if param.enum is not None else None),
        ("minimum", param.minimum),
        ("maximum", param.maximum),
        ("maxLength", param.max_length),
        ("pattern", param.pattern),
        ("format", param.format),
    ):
        if value is not None:
            schema[key] = value
    return schema


def param_schema(param: Param) -> Schema:
    """The schema of ``param`` in a query string or path: lists are arrays."""
    schema = array(value_schema(param)) if param.is_list else value_schema(param)
    if param.default is not None:
        schema["default"] = list(param.default) if param.is_list else param.default
    return schema


def body_schema(params: tuple[Param, ...]) -> Schema:
    """A JSON object that stands for a query string of ``params`` (web/args.py's
    search_args_from_json): a list parameter takes one value or a list of them, a comma
    list a list or the comma string; unknown keys are refused."""
    properties: Schema = {}
    for param in params:
        one = value_schema(param)
        if param.repeatable:
            one = {"anyOf": [one, array(one)]}
        elif param.comma:
            one = {"anyOf": [array(one), {"type": "string", "description": "a comma list"}]}
        properties[param.name] = {**one, "description": param.description}
    return {"type": "object", "properties": properties, "additionalProperties": False}
