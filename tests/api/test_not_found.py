"""Paths and methods the API does not have: JSON answers a client can read, never Django's HTML page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from spectrum_sync.models import Tenant

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api(tenant: Tenant) -> Client:
    key = tenant.generate_api_key()
    tenant.save()
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path", ["/api/", "/api/nope", "/api/v1/nope/", "/api/v2/ar-invoices/", "/api/v1/sync-records/abc/"]
)
def test_unknown_api_path_is_a_json_404_with_any_method(method: str, path: str) -> None:
    # A bare client: no API key, no CSRF token. Neither may turn the 404 into a 401 or an HTML 403.
    response = getattr(Client(enforce_csrf_checks=True), method)(path, {}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_missing_trailing_slash_gets_a_json_404_that_says_so(api: Client) -> None:
    response = api.post("/api/v1/ar-invoices", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found.",
        "hint": "Did you mean /api/v1/ar-invoices/ (with the trailing slash)?",
    }


def test_a_record_of_no_one_is_a_json_404(api: Client) -> None:
    response = api.get("/api/v1/sync-records/987654/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/ar-invoices/"), ("delete", "/api/v1/ar-invoices/"), ("post", "/api/v1/sync-records/1/")],
)
def test_a_method_a_known_path_does_not_take_is_a_json_405(api: Client, method: str, path: str) -> None:
    response = getattr(api, method)(path, {}, content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_schema_and_docs_still_answer_and_their_wrong_method_is_json(path: str) -> None:
    client = Client()
    assert client.get(path).status_code == 200
    response = client.post(path, {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_404_outside_the_api_is_still_django_html(client: Client) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used-9")
    client.force_login(admin)
    for path in ("/admin/no-such-page/", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("text/html"), path
