"""While the database is away a request gets 503 with Retry-After, never a 500 (docs/operations.md);
a bug still gets the 500 page."""

import pytest
from django.test import Client


@pytest.fixture
def client_without_raising(settings) -> Client:
    settings.ROOT_URLCONF = "tests.core.outage_urls"
    return Client(raise_request_exception=False)


def test_an_unreachable_database_answers_503_with_retry_after(client_without_raising: Client):
    response = client_without_raising.get("/outage/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Vorübergehend nicht erreichbar" in page
    assert "Briefly unavailable" in page
    assert "5432" not in page


def test_the_api_answers_503_in_its_json_error_format(client_without_raising: Client):
    response = client_without_raising.get("/api/v1/outage/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"


def test_a_bug_still_answers_500(client_without_raising: Client):
    response = client_without_raising.get("/bug/")

    assert response.status_code == 500
    assert "Interner Fehler" in response.content.decode()
