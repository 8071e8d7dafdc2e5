"""The error pages 403, 404 and 500: in the site's layout, in the reader's language, with a way
back that fits who is signed in; the API keeps its JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.defaults import server_error

from tests.personas import persona_client
from tests.portal.world import PortalWorld


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A bug.")


def _refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Internal reason, not for the reader.")


# The URLs of the tests marked `urls(__name__)`: the site's, a view that fails and one that
# refuses.
urlpatterns = [
    path("boom/", _boom),
    path("refused/", _refused),
    path("", include("channeldesk.urls")),
]


NOT_FOUND_DE, NOT_FOUND_EN = "Seite nicht gefunden", "Page not found"


@pytest.fixture
def client_in(portal_world: PortalWorld) -> Callable[[str, str], Client]:
    def make(persona: str, language: str) -> Client:
        client = persona_client(persona, portal_world.personas, raise_request_exception=False)
        client.cookies["django_language"] = language
        return client

    return make


class ErrorPage(NamedTuple):
    """What `persona` reading in `language` gets: the error page `status` with its heading and a
    way back."""

    status: int
    persona: str
    language: str
    heading: str
    way_back: str


# A partner page answers 403 to vendor staff and to logins of no partner.
DENIED_DE, DENIED_EN = "Zugriff verweigert", "Access denied"
PORTAL_DE = 'href="/portal/">Zurück zum Partnerportal'
PORTAL_EN = 'href="/portal/">Back to the partner portal'
BACK_OFFICE_DE = 'href="/backoffice/">Zurück zum Backoffice'
BACK_OFFICE_EN = 'href="/backoffice/">Back to the back office'
LOGIN_AGAIN = 'href="/accounts/login/?next=/nowhere/">'
ERROR_PAGES = [
    ErrorPage(404, "partner_a_user", "de", NOT_FOUND_DE, PORTAL_DE),
    ErrorPage(404, "partner_a_user", "en", NOT_FOUND_EN, PORTAL_EN),
    ErrorPage(404, "staff", "de", NOT_FOUND_DE, BACK_OFFICE_DE),
    ErrorPage(404, "staff", "en", NOT_FOUND_EN, BACK_OFFICE_EN),
    ErrorPage(404, "anonymous", "de", NOT_FOUND_DE, f"{LOGIN_AGAIN}Anmelden"),
    ErrorPage(404, "anonymous", "en", NOT_FOUND_EN, f"{LOGIN_AGAIN}Sign in"),
    ErrorPage(403, "staff", "de", DENIED_DE, BACK_OFFICE_DE),
    ErrorPage(403, "staff", "en", DENIED_EN, BACK_OFFICE_EN),
    ErrorPage(403, "support", "de", DENIED_DE, BACK_OFFICE_DE),
    ErrorPage(403, "outsider", "de", DENIED_DE, 'action="/accounts/logout/"'),
    ErrorPage(403, "outsider", "en", DENIED_EN, "This login belongs to no partner"),
]


def _page_id(page: ErrorPage) -> str:
    return f"{page.status}-{page.persona}-{page.language}"


@pytest.mark.parametrize("page", ERROR_PAGES, ids=_page_id)
def test_an_error_page_is_in_the_readers_language_with_a_way_back(
    client_in: Callable[[str, str], Client], page: ErrorPage
) -> None:
    # Given a page that is not there (404), or a partner page for one who is no partner (403),
    url = {404: "/nowhere/", 403: "/portal/"}[page.status]

    # when the persona asks for it in their language,
    response = client_in(page.persona, page.language).get(url)

    # then the error page is in that language, in the site's layout, with a way back.
    text = response.content.decode()
    assert response.status_code == page.status
    assert f'<html lang="{page.language}">' in text
    assert f"<h1>{page.heading}</h1>" in text
    assert 'class="site-header"' in text
    assert page.way_back in text


def test_404_of_another_partners_customer_looks_like_any_other(
    client_in: Callable[[str, str], Client],
) -> None:
    response = client_in("partner_a_user", "de").get("/portal/customers/K-B/")

    text = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Seite nicht gefunden</h1>" in text
    assert "Berta" not in text


def test_403_shows_the_partner_the_way_back_to_its_portal(
    client_in: Callable[[str, str], Client],
) -> None:
    # The colleagues page is for the partner's admins only.
    response = client_in("partner_a_user", "de").get("/portal/colleagues/")

    text = response.content.decode()
    assert response.status_code == 403
    assert 'href="/portal/">Zurück zum Partnerportal' in text


@pytest.mark.urls(__name__)
def test_403_never_shows_the_internal_reason(
    client_in: Callable[[str, str], Client],
) -> None:
    response = client_in("partner_a_user", "en").get("/refused/")

    assert response.status_code == 403
    assert "Internal reason" not in response.content.decode()


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["de", "en"])
def test_500_is_bilingual_with_a_way_back(
    client_in: Callable[[str, str], Client], language: str
) -> None:
    response = client_in("partner_a_user", language).get("/boom/")

    text = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Interner Fehler</h1>" in text
    assert "<h2>Internal error</h2>" in text
    assert 'href="/">Zur Startseite' in text
    assert 'href="/">To the start page' in text
    assert "A bug." not in text


def test_500_renders_without_a_request_context_or_database() -> None:
    # Given no database access at all (this test does not ask for one: any query fails),
    request = RequestFactory().get("/portal/")

    # when Django's 500 view renders the page,
    response = server_error(request)

    # then it is the site's static, bilingual error page.
    text = response.content.decode()
    assert response.status_code == 500
    assert "Interner Fehler" in text
    assert "Internal error" in text
    assert 'class="site-header"' in text


@pytest.mark.parametrize("url", ["/api/nope/", "/api/v1/nope/"])
def test_api_paths_keep_their_json_404(client_in: Callable[[str, str], Client], url: str) -> None:
    response = client_in("partner_a_user", "de").get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
