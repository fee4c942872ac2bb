"""Fuzzing every operation of the OpenAPI document: no input may cause a 5xx.

Schemathesis generates requests from the document, valid ones and invalid ones (wrong
types, missing and unknown fields, out-of-range numbers, odd strings), and sends them to
the app as organisation A with a write token, over a world where A's ids exist. Checked: no
server error, and every answer matches the document (status code, content type, schema).

One test per operation of the document, ``FUZZ_EXAMPLES`` examples in each of the two
generation modes. Measured on the 2-core machine (README, "API"), the module stays under
~2 minutes per database. Hypothesis is derandomized so CI is repeatable;
``ENGAGE_FUZZ_RANDOM=1`` explores afresh, ``ENGAGE_FUZZ_EXAMPLES=N`` runs more or fewer.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from engage.api import _load_features
from engage.api.openapi import path_of
from engage.api.routing import OPERATIONS
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_EXAMPLES = int(os.environ.get("ENGAGE_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

_load_features()  # the operations the document lists, known before any app exists
OPERATION_KEYS = sorted(f"{op.method.upper()} {path_of(op.rule)}" for op in OPERATIONS)


_loaded: dict[str, schemathesis.BaseSchema] = {}


@pytest.fixture
def fuzz_schema(app, db_session):
    """The document, loaded from the app once per run (in the first test's transaction):
    it does not change between tests, and neither do the constants schemathesis gathers
    from the app's code for its generation, which it keeps with the loaded schema. Loaded
    per test, the two took longer than 15 examples, and grew with every operation."""
    schema = _loaded.get("schema")
    if schema is None or schema.app is not app:
        schema = _loaded["schema"] = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATION_KEYS)
def test_no_input_makes_the_api_fail(operation, mode, fuzz_schema, api_world):
    method, path = operation.split(" ", 1)
    api_operation = fuzz_schema[path][method]
    headers = {"Authorization": f"Bearer {api_world.tokens['a_write']}"}

    @given(case=api_operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              derandomize=os.environ.get("ENGAGE_FUZZ_RANDOM") != "1",
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    fuzz()
