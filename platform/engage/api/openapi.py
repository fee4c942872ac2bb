"""The OpenAPI 3 document, generated from the declared operations and their marshmallow
schemas, and a browsable page for it (Swagger UI, vendored under static/vendor)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, current_app, json, render_template
from marshmallow import Schema, fields

from engage.api import fields as api_fields
from engage.api.errors import PROBLEM
from engage.api.routing import OPERATIONS, Operation, bp
from engage.headers import policy

OPENAPI_VERSION = "3.0.3"
_RULE_PARAM = re.compile(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([a-z_]+)>")
_ERROR_TEXT = {
    400: "Bad input: invalid JSON, a wrong type, an unknown field, a string too long, a bad date.",
    401: "No valid API token or session.",
    403: "Not allowed: a read-only token or a viewer writing, or a rule of the engagement.",
    404: "Not found, or not shared with your organisation.",
    409: "Conflict with the current state (already decided, already signed).",
    413: "The body is too large.",
    415: "The body is not JSON.",
    429: "Too many refused API tokens from this address: wait for Retry-After seconds.",
}


class ProblemSchema(Schema):
    """An error (RFC 9457 problem details)."""

    type = fields.String(required=True)
    status = fields.Integer(required=True)
    title = fields.String(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per field, for bad input."})


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[:-6] if name.endswith("Schema") and len(name) > 6 else name


def _page_schema(item: type[Schema]) -> type[Schema]:
    name = f"{_schema_name(item)}Page"
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
        "__doc__": f"One page of {_schema_name(item)} items.",
    })


def path_of(rule: str) -> str:
    return _RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    params = []
    for converter, name in _RULE_PARAM.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "id":
            schema = {"type": "integer", "minimum": 1, "maximum": api_fields.ID_MAX}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _error_response(status: int) -> dict[str, Any]:
    response = {"description": _ERROR_TEXT.get(status, "Error"),
                "content": {PROBLEM: {"schema": "Problem"}}}
    if status == 429:
        response["headers"] = {"Retry-After": {
            "description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return response


def _operation(op: Operation, pages: dict[type, type]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "tags": [op.tag],
        "summary": op.summary,
    }
    if op.description:
        out["description"] = inspect.cleandoc(op.description)
    params = _path_parameters(op.rule)
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": not op.body_optional,
                              "content": {"application/json": {"schema": op.body}}}
    if op.upload is not None:
        out["requestBody"] = {"required": True,
                              "content": {"multipart/form-data": {"schema": op.upload}}}
    ok: dict[str, Any] = {"description": {200: "OK", 201: "Created", 204: "No content"}
                          .get(op.status, "OK")}
    if op.response is not None:
        schema = op.response
        if op.paginated:
            schema = pages.setdefault(op.response, _page_schema(op.response))
        ok["content"] = {"application/json": {"schema": schema}}
    if op.binary:
        ok["content"] = {mimetype: {"schema": {"type": "string", "format": "binary"}}
                         for mimetype in op.binary}
    responses = {str(op.status): ok}
    # Writes go through a feature service, whose refusals are 400s with the reason.
    statuses = {400} if (op.query is not None or op.body is not None
                         or op.upload is not None or op.method != "get") else set()
    if not op.public:
        statuses |= {401, 403, 429}
    if _path_parameters(op.rule):
        statuses.add(404)
    if op.body is not None or op.upload is not None:
        statuses |= {413, 415}
    statuses |= set(op.errors)
    for status in sorted(statuses):
        responses[str(status)] = _error_response(status)
    out["responses"] = responses
    if op.public:
        out["security"] = []
    return out


def build_spec() -> dict[str, Any]:
    ma = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Engage API",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[ma],
        info={"description": (
            "Collaborative investor engagement. Authenticate with an organisation API token "
            "(`Authorization: Bearer eng_…`, created by an organisation admin) or a signed-in "
            "browser session (writes then need the `X-CSRFToken` header). Lists return "
            "`{items, page, per_page, total}`; errors are `application/problem+json`."
        )},
        servers=[{"url": "/api/v1"}],
        security=[{"bearerAuth": []}, {"sessionCookie": []}],
    )
    api_fields.register(ma)
    ma.converter.add_attribute_function(api_fields.extra_properties)
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "eng_…"})
    spec.components.security_scheme("sessionCookie", {"type": "apiKey", "in": "cookie",
                                                      "name": "session"})
    spec.components.schema("Problem", schema=ProblemSchema)
    pages: dict[type, type] = {}
    by_path: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        by_path.setdefault(path_of(op.rule), {})[op.method] = _operation(op, pages)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    tags = sorted({op.tag for op in OPERATIONS})
    for tag in tags:
        spec.tag({"name": tag})
    return _tidy(spec.to_dict())


def _tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Query parameters are absent or a value: no ``null`` default, no ``null`` choice."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["in"] != "query":
                    continue
                schema = param["schema"]
                if schema.get("default", 0) is None:
                    del schema["default"]
                schema.pop("nullable", None)
                if "enum" in schema:
                    schema["enum"] = [v for v in schema["enum"] if v is not None]
    for schema in document["components"]["schemas"].values():
        for prop in schema.get("properties", {}).values():
            for key in ("x-minimum", "x-maximum"):
                if prop.get(key, 0) is None:
                    del prop[key]
    return document


def spec_dict() -> dict[str, Any]:
    cached = current_app.extensions.get("engage_openapi")
    if cached is None:
        cached = current_app.extensions["engage_openapi"] = build_spec()
    return cached


@bp.get("/openapi.json")
def openapi_json():
    return Response(json.dumps(spec_dict()), mimetype="application/json")


@bp.get("/docs")
@policy(img_src="data:")  # Swagger UI's icons are inline SVG data: images
def docs():
    return render_template("api/docs.html")


openapi_json.engage_public = True  # type: ignore[attr-defined]
docs.engage_public = True  # type: ignore[attr-defined]
