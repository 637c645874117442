# SPDX-License-Identifier: EUPL-1.2
"""The contract's conventions hold for every service, including on unexpected errors."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from services.core.http import ServiceApi, create_app

SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
}


def _failing_app() -> TestClient:
    router = APIRouter(prefix="/probe/v1")

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail 123456782")

    service = ServiceApi(name="probe", prefix="/probe/v1", title="probe", description="probe", router=router)
    return TestClient(create_app([service]), raise_server_exceptions=False)


def test_an_unexpected_error_is_a_problem_with_the_contract_headers_and_no_details() -> None:
    answer = _failing_app().get("/probe/v1/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "https://glansrijk.nl/problems/error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
    }
    assert "123456782" not in answer.text
    assert answer.headers["api-version"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value


def test_every_document_says_how_to_authenticate_and_that_every_error_is_a_problem(client: TestClient) -> None:
    for base in ("/intake/v1", "/signals/v1", "/reporting/v1"):
        document = client.get(f"{base}/openapi.json").json()
        schemes = document["components"]["securitySchemes"]
        assert (schemes["bearer"]["type"], schemes["bearer"]["scheme"]) == ("http", "bearer")
        assert (schemes["basic"]["type"], schemes["basic"]["scheme"]) == ("http", "basic")
        for path, operations in document["paths"].items():
            for operation in operations.values():
                public = path.endswith("/health")
                expected = [{"bearer": []}, {"basic": []}] if "/odata" in path else [{"bearer": []}]
                assert operation.get("security") == (None if public else expected), path
                for code, response in operation["responses"].items():
                    if code[0] in "45":
                        # The OData feed answers errors in the OData JSON format (spec/interface.md).
                        error_type = "application/json" if "/odata" in path else "application/problem+json"
                        assert list(response["content"]) == [error_type], (path, code)


def test_every_service_serves_health_and_a_public_openapi_document(client: TestClient) -> None:
    for base in ("/intake/v1", "/signals/v1", "/reporting/v1"):
        health = client.get(f"{base}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        document = client.get(f"{base}/openapi.json")
        assert document.status_code == 200
        assert document.headers["access-control-allow-origin"] == "*"
        info = document.json()["info"]
        assert set(info["contact"]) == {"name", "url", "email"}
        assert info["version"].count(".") == 2
        assert all(path.startswith(base) for path in document.json()["paths"])
        assert client.get(f"{base}/health/").status_code == 404
