"""The generated OpenAPI document: valid, and describing every route."""

from __future__ import annotations

from openapi_spec_validator import validate

from bridge.web.openapi import STATUS_TEXT, undocumented_rules
from bridge.web.problems import PROBLEMS


def test_document_is_valid_openapi(client):
    document = client.get("/openapi.json").get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_documented(app, client):
    assert undocumented_rules(app) == []
    paths = client.get("/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<job_id>", "{job_id}")
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (path, method)


def test_schemas_come_from_models(client):
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    request = schemas["ValidationRequest"]
    assert request["required"] == ["spreadsheet"]
    assert request["additionalProperties"] is False
    assert set(request["properties"]) >= {"spreadsheet", "sheet", "gid", "as_of", "lang"}
    operation = document["paths"]["/api/v1/validations"]["post"]
    assert "202" in operation["responses"]
    assert operation["responses"]["401"]["content"]["application/problem+json"]


def test_every_problem_status_described():
    for code, (status, _, _) in PROBLEMS.items():
        assert status in STATUS_TEXT, code


def test_declared_statuses_match_service(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # Bad JSON gets 422 invalid-request, so the service never sends 400.
            assert "400" not in responses, (path, method)
            if operation["security"]:
                # An ID token is checked against certificates fetched from Google.
                assert "503" in responses, (path, method)


def test_query_parameters_documented(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    status = {p["name"]: p for p in paths["/api/v1/sync/status"]["get"]["parameters"]}
    assert set(status) == {"spreadsheet", "sheet", "gid", "lang"}
    assert status["spreadsheet"]["required"] is True
    assert status["lang"]["schema"] == {"enum": ["ja", "en"], "type": "string"}
    job = {p["name"]: p["in"] for p in paths["/api/v1/jobs/{job_id}"]["get"]["parameters"]}
    assert job == {"job_id": "path", "lang": "query"}
