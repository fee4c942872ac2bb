"""Declaring an API operation once: its URL, its schemas, its answer.

``@operation(...)`` registers the view on the API blueprint AND describes it for the OpenAPI
document, so the document cannot drift from what the code accepts: the query string and the
JSON body are loaded through the declared marshmallow schemas (unknown fields, wrong types,
too-long strings and bad dates are 400s that name the field), and the result is dumped
through the declared response schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, request
from marshmallow import Schema, ValidationError
from werkzeug.routing import BaseConverter

from engage import render_cache
from engage.api.errors import ApiError
from engage.api.fields import ID_MAX, QueryInt
from engage.extensions import db

MAX_BODY_BYTES = 256 * 1024
PER_PAGE_MAX = 100
PER_PAGE_DEFAULT = 25

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class IdConverter(BaseConverter):
    """``<id:name>``: an object id. Digits beyond PostgreSQL's integer range cannot name an
    object, so they become 0 (which names none): a 404, never a database overflow."""

    regex = r"\d{1,30}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= ID_MAX else 0

    def to_url(self, value: int) -> str:
        return str(int(value))


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    tag: str
    summary: str
    description: str
    query: type[Schema] | None
    body: type[Schema] | None
    response: type[Schema] | None
    status: int
    paginated: bool
    public: bool
    partial: bool
    errors: tuple[int, ...] = field(default=())
    # A multipart/form-data body (file uploads), read by the operation itself with
    # load_upload() once it has found what the upload is for (so an invisible parent is a
    # 404 whatever the body).
    upload: type[Schema] | None = None
    # Content types of a binary answer (a download) instead of JSON.
    binary: tuple[str, ...] = ()
    # The JSON body may be left out (no bytes at all): the schema's defaults apply.
    body_optional: bool = False


OPERATIONS: list[Operation] = []


class PageArgs(Schema):
    """``?page=`` and ``?per_page=`` (at most 100); every list endpoint takes them."""

    page = QueryInt(minimum=1, maximum=1_000_000, load_default=1,
                    metadata={"description": "Page number, from 1."})
    per_page = QueryInt(minimum=1, maximum=PER_PAGE_MAX, load_default=PER_PAGE_DEFAULT,
                        metadata={"description": f"Items per page, at most {PER_PAGE_MAX}."})


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int


def paginate(statement: sa.Select, args: dict[str, Any], *options: Any) -> Page:
    """One page of an ordered, tenant-scoped ORM select, and how many rows there are in all.
    Two statements whatever the page size (plus one per eager-loaded relationship)."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    items = db.session.scalars(
        statement.options(*options).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json() -> Any:
    if not request.mimetype or not (request.mimetype == "application/json"
                                    or request.mimetype.endswith("+json")):
        raise ApiError(415, "Send the body as JSON with 'Content-Type: application/json'.")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal,
                          parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not UTF-8 text.") from None
    except RecursionError:
        raise ApiError(400, "The JSON body is nested too deeply.") from None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None


def load_body(schema: type[Schema], *, partial: bool = False,
              optional: bool = False) -> dict[str, Any]:
    if optional and not request.get_data(cache=True):
        data: Any = {}
    else:
        data = load_json()
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    try:
        loaded = schema().load(data, partial=partial)
    except ValidationError as exc:
        raise ApiError(400, "Some fields are not valid; see 'errors'.", exc.messages) from None
    if partial and not loaded:
        raise ApiError(400, "Give at least one field to change.")
    return loaded


def load_upload(schema: type[Schema]) -> dict[str, Any]:
    """A multipart/form-data body: its fields and files, through ``schema``. (Its size is
    bounded by MAX_CONTENT_LENGTH, engage.errors.)"""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Send the file as 'multipart/form-data'.")
    data: dict[str, Any] = {}
    for source in (request.form, request.files):
        for key in source:
            if len(source.getlist(key)) > 1:
                raise ApiError(400, "A field is given more than once.",
                               {key: ["Give this field once."]})
            data[key] = source[key]
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ApiError(400, "Some fields are not valid; see 'errors'.", exc.messages) from None


def load_query(schema: type[Schema]) -> dict[str, Any]:
    data = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise ApiError(400, "A query parameter is given more than once.",
                           {key: ["Give this parameter once."]})
        data[key] = values[0]
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ApiError(400, "Some query parameters are not valid; see 'errors'.",
                       exc.messages) from None


def _dump(schema: type[Schema] | None, result: Any, paginated: bool) -> Any:
    if schema is None:
        return result
    if paginated:
        return {"items": schema(many=True).dump(result.items), "page": result.page,
                "per_page": result.per_page, "total": result.total}
    return schema().dump(result)


def operation(
    method: str,
    rule: str,
    *,
    tag: str,
    summary: str,
    description: str = "",
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    paginated: bool = False,
    public: bool = False,
    partial: bool = False,
    errors: tuple[int, ...] = (),
    upload: type[Schema] | None = None,
    binary: tuple[str, ...] = (),
    body_optional: bool = False,
    cached: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``cached``: a GET whose JSON body is kept in the render cache (engage.render_cache)
    until a write; the operation must return data to dump, never a Response."""
    if cached and method != "GET":
        raise TypeError(f"only a GET is cached, not {method} {rule}")
    if paginated and query is None:
        query = PageArgs
    if paginated and not issubclass(query, PageArgs):
        raise TypeError(f"the query schema of the list {rule} must extend PageArgs")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            if query is not None:
                kwargs["args"] = load_query(query)
            elif request.args:
                raise ApiError(400, "This endpoint takes no query parameters.",
                               {key: ["Unknown parameter."] for key in request.args})
            if body is not None:
                kwargs["data"] = load_body(body, partial=partial, optional=body_optional)

            def answer() -> str:
                payload = _dump(response, fn(**kwargs), paginated)
                return json.dumps(payload, ensure_ascii=False)

            if cached:
                # The clean arguments and the URL's ids are what the request adds to the
                # standard key (organisation, user, role, token scope, language, day).
                key = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))
                text = render_cache.text(f"api:{fn.__name__}", key, answer)
                return Response(text, status=status, mimetype="application/json")
            result = fn(**kwargs)
            if isinstance(result, Response):
                return result
            payload = _dump(response, result, paginated)
            return Response(json.dumps(payload, ensure_ascii=False), status=status,
                            mimetype="application/json")

        if public:
            view.engage_public = True  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        OPERATIONS.append(Operation(
            method=method.lower(), rule=rule, endpoint=f"api.{fn.__name__}", tag=tag,
            summary=summary, description=description or (fn.__doc__ or "").strip(),
            query=query, body=body, response=response, status=status, paginated=paginated,
            public=public, partial=partial, errors=errors, upload=upload, binary=binary,
            body_optional=body_optional,
        ))
        return view

    return decorate
