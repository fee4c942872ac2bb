"""One error format: bad input of every kind is a 4xx problem+json that says why."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.oidc_support import csrf_token


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def _dialogue(api_world) -> str:
    return f"/engagements/{api_world.engagement.id}/dialogue"


GOOD = {"kind": "call", "occurred_on": "2026-11-01", "summary": "Call with investor relations"}


def test_bad_json_is_400_with_the_parser_message(as_token, api_world):
    api = as_token("a_write")
    for raw in ('{"kind": "call",', "[1, 2", "NaN", '{"a": Infinity}', "\xff\xfe"):
        body = _problem(api.post(_dialogue(api_world), data=raw.encode("latin-1"),
                                 headers={"Content-Type": "application/json"}), 400)
        assert "JSON" in body["detail"] or "UTF-8" in body["detail"]
    deep = "[" * 100_000 + "]" * 100_000
    _problem(api.post(_dialogue(api_world), data=deep,
                      headers={"Content-Type": "application/json"}), 400)
    assert "JSON object" in _problem(api.post(_dialogue(api_world), json=[GOOD]), 400)["detail"]


def test_a_body_that_is_not_json_is_415(as_token, api_world):
    response = as_token("a_write").post(_dialogue(api_world), data="kind=call",
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    _problem(response, 415)


@pytest.mark.parametrize("change, field, words", [
    ({"summary": 42}, "summary", "Not a valid string"),
    ({"occurred_on": 20261101}, "occurred_on", "Not a valid date"),
    ({"occurred_on": "2026-02-30"}, "occurred_on", "Not a valid date"),
    ({"occurred_on": "yesterday"}, "occurred_on", "Not a valid date"),
    ({"kind": "carrier pigeon"}, "kind", "Must be one of"),
    ({"summary": "x" * 20_001}, "summary", "between 1 and 20000"),
    ({"summary": "nul \x00 byte"}, "summary", "not allowed"),
    ({"mood": "happy"}, "mood", "Unknown field"),
    ({"summary": None}, "summary", "may not be null"),
])
def test_field_errors_name_the_field(as_token, api_world, change, field, words):
    body = _problem(as_token("a_write").post(_dialogue(api_world), json={**GOOD, **change}), 400)
    assert any(words in message for message in body["errors"][field]), body


def test_missing_fields_and_wrong_numbers(as_token, api_world):
    api = as_token("a_write")
    body = _problem(api.post(_dialogue(api_world), json={}), 400)
    assert set(body["errors"]) == {"kind", "occurred_on", "summary"}
    patch = f"/engagements/{api_world.engagement.id}/milestones/{api_world.milestone.id}"
    for value in (True, 1.5, "3", 5, -1, 10**30):
        assert "stage" in _problem(api.patch(patch, json={"stage": value}), 400)["errors"]
    assert "at least one" in _problem(api.patch(patch, json={}), 400)["detail"]


def test_query_parameters_are_checked_too(as_token):
    api = as_token("a_read")
    for query, field in (({"per_page": 101}, "per_page"), ({"page": "two"}, "page"),
                         ({"page": 0}, "page"), ({"status": "sleeping"}, "status"),
                         ({"colour": "red"}, "colour"), ({"company_id": "1e3"}, "company_id")):
        body = _problem(api.get("/engagements", query_string=query), 400)
        assert field in body["errors"], (query, body)
    body = _problem(api.get("/engagements?page=1&page=2"), 400)
    assert "page" in body["errors"]


def test_service_rules_come_back_as_problems(as_token, api_world):
    api = as_token("a_write")
    future = {**GOOD, "occurred_on": "2099-01-01"}
    body = _problem(api.post(_dialogue(api_world), json=future), 400)
    assert "occurred_on" in body["errors"]


def test_unknown_urls_methods_and_huge_ids_are_problems(as_token):
    api = as_token("a_read")
    _problem(api.get("/no-such-thing"), 404)
    _problem(api.get("/engagements/99999999999999999999"), 404)
    body = _problem(api.request("DELETE", "/engagements"), 405)
    assert body["title"] == "Method not allowed"


def test_session_writes_need_the_csrf_token_and_tokens_do_not(client, as_token, api_world):
    login_as(client, api_world.a_member, api_world.a)
    url = f"/api/v1{_dialogue(api_world)}"
    body = _problem(client.post(url, json=GOOD), 400)
    assert "CSRF" in body["detail"]
    ok = client.post(url, json=GOOD, headers={"X-CSRFToken": csrf_token(client)})
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert client.get(url).status_code == 200  # reads need no token
    assert as_token("a_write").post(_dialogue(api_world), json=GOOD).status_code == 201


def test_a_viewer_session_cannot_write(client, api_world):
    login_as(client, api_world.a_viewer, api_world.a)
    response = client.post(f"/api/v1{_dialogue(api_world)}", json=GOOD,
                           headers={"X-CSRFToken": csrf_token(client)})
    assert "viewer" in _problem(response, 403)["detail"]
