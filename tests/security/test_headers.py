"""HTTP hardening: the Content-Security-Policy and the other security headers on every page, no
cache keeping what a signed-in person or an API credential was shown, and templates the policy
does not break (no inline style or script, no htmx eval)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils.cache import patch_cache_control

from channeldesk.core.cache_control import NoStoreMiddleware
from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from tests.personas import Personas, sign_in

SOURCE = Path(__file__).resolve().parents[2] / "src" / "channeldesk"
EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return dict(directives)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/portal/", "/backoffice/", "/admin/"])
def test_every_page_carries_the_policy_and_the_security_headers(
    personas: Personas, client: Client, path: str
) -> None:
    # Given a signed-in channel manager (the portal answers staff with a redirect or a page)
    sign_in(client, personas.staff)

    # When any page is fetched
    response = client.get(path)

    # Then it carries the strict policy: our own origin only, no inline code, no framing
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_a_signed_in_partners_page_is_not_stored_by_any_cache(
    personas: Personas, client: Client
) -> None:
    sign_in(client, personas.partner_a_user)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_api_answer_to_a_service_token_is_not_stored_by_any_cache(
    personas: Personas, client: Client
) -> None:
    # Given the phone system's token (no session at all)
    issued = service_token_create(name="Phone system", scope=TokenScope.SUPPORT)

    # When it looks a partner up, and when it asks for something it may not
    found = client.get(
        "/api/v1/support/route/",
        {"partner_number": personas.partner_a.partner_number},
        HTTP_AUTHORIZATION=f"Bearer {issued.secret}",
    )
    refused = client.get("/api/v1/partners/", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    # Then neither answer may be kept by a cache
    assert found.status_code == 200
    assert "no-store" in found["Cache-Control"]
    assert refused.status_code == 403
    assert "no-store" in refused["Cache-Control"]


def _respond_with(response: HttpResponse) -> Any:
    return NoStoreMiddleware(lambda request: response)


def test_an_anonymous_request_without_credentials_is_left_to_the_view() -> None:
    request = RequestFactory().get("/accounts/login/")
    request.user = AnonymousUser()

    response = _respond_with(HttpResponse("public"))(request)

    assert not response.has_header("Cache-Control")


def test_a_request_with_credentials_is_not_stored_even_when_they_are_wrong() -> None:
    request = RequestFactory().get("/api/v1/partners/", HTTP_AUTHORIZATION="Bearer wrong")
    request.user = AnonymousUser()

    response = _respond_with(HttpResponse(status=401))(request)

    assert response["Cache-Control"] == "no-store"


def test_a_view_that_chose_its_caching_keeps_it(personas_user: Any) -> None:
    # Given a view that decided how its answer may be cached
    chosen = HttpResponse("figures")
    patch_cache_control(chosen, private=True, max_age=60)
    request: HttpRequest = RequestFactory().get("/backoffice/")
    request.user = personas_user

    # When it answers a signed-in user
    response = _respond_with(chosen)(request)

    # Then its choice stands
    assert response["Cache-Control"] == "private, max-age=60"


@pytest.fixture
def personas_user() -> Any:
    """A user object that is signed in, without the database."""

    class SignedIn:
        is_authenticated = True

    return SignedIn()


# --- Templates the policy does not break ------------------------------------------------------

# The pages a browser shows; letters (documents/) are PDF sources for WeasyPrint, not pages.
TEMPLATES = sorted(
    path
    for path in SOURCE.glob("**/templates/**/*.html")
    if not path.is_relative_to(SOURCE / "documents")
)
# A style attribute, a <style> element, an event handler attribute, htmx code run by eval.
FORBIDDEN = {
    "inline style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "htmx hx-on (needs eval)": re.compile(r"\s(data-)?hx-on", re.IGNORECASE),
    "htmx js: values (need eval)": re.compile(r"hx-va(ls|rs)\s*=\s*['\"]\s*(js|javascript):"),
}
# A <script> must load a file or carry JSON data; anything else is inline code.
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def test_the_templates_are_found() -> None:
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "dashboard.html", "_run_status.html", "licence.html"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_no_template_needs_unsafe_inline_or_eval(template: Path) -> None:
    text = template.read_text(encoding="utf-8")

    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    inline_scripts = [
        attributes
        for attributes in SCRIPT.findall(text)
        if "src=" not in attributes and "application/json" not in attributes
    ]

    assert found == []
    assert inline_scripts == []


def test_htmx_is_configured_without_inline_styles_or_eval() -> None:
    base = (SOURCE / "portal/templates/channeldesk/base.html").read_text(encoding="utf-8")
    stylesheet = (SOURCE / "portal/static/channeldesk/css/site.css").read_text(encoding="utf-8")

    assert (
        """<meta name="htmx-config" content='{"includeIndicatorStyles": false, """
        """"allowEval": false, "allowScriptTags": false}'>"""
    ) in base
    # htmx's own indicator rules live in the stylesheet instead.
    assert ".htmx-indicator { opacity: 0; visibility: hidden; }" in stylesheet
