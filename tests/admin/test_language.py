"""The UI speaks German by default and English to whoever chose it; the choice is remembered."""

from __future__ import annotations

from django.test import Client

from channeldesk.core.models import UserPreference
from tests.admin.factories import AdminData
from tests.personas import Personas, sign_in


def _signed_in(user: object, **headers: str) -> Client:
    client = Client(headers=headers)
    sign_in(client, user)
    return client


def test_admin_speaks_german_by_default(admin_data: AdminData, personas: Personas) -> None:
    response = _signed_in(personas.staff).get("/admin/")

    assert response["Content-Language"] == "de"
    content = response.content.decode()
    assert '<html lang="de"' in content
    for german in ("Bestellungen", "Stufenmodelle", "Ansprechpartner", "Benutzereinstellungen"):
        assert german in content
    assert "Orders" not in content


def test_field_labels_are_german(admin_data: AdminData, personas: Personas) -> None:
    response = _signed_in(personas.staff).get("/admin/partners/partner/add/")

    content = response.content.decode()
    for german in ("Partnernummer", "Firmenname", "Postleitzahl", "USt-IdNr.", "Anschrift"):
        assert german in content


def test_user_who_chose_english_gets_english_pages(
    admin_data: AdminData, personas: Personas
) -> None:
    UserPreference.objects.create(user=personas.staff, language="en")

    response = _signed_in(personas.staff).get("/admin/partners/partner/add/")

    assert response["Content-Language"] == "en"
    content = response.content.decode()
    for english in ("Partner number", "Legal name", "Postal code", "VAT ID", "Address"):
        assert english in content
    assert "Partnernummer" not in content


def test_preference_wins_over_the_browsers_language(
    admin_data: AdminData, personas: Personas
) -> None:
    UserPreference.objects.create(user=personas.staff, language="de")

    response = _signed_in(personas.staff, accept_language="en").get("/admin/")

    assert response["Content-Language"] == "de"


def test_without_preference_the_browsers_language_counts(
    admin_data: AdminData, personas: Personas
) -> None:
    response = _signed_in(personas.staff, accept_language="en").get("/admin/")

    assert response["Content-Language"] == "en"
    assert "Orders" in response.content.decode()


def test_language_switch_is_remembered_for_a_signed_in_user(personas: Personas) -> None:
    response = _signed_in(personas.staff).post(
        "/i18n/setlang/", {"language": "en", "next": "/admin/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert UserPreference.objects.get(user=personas.staff).language == "en"
    # Another browser, without the cookie, follows the preference.
    assert _signed_in(personas.staff).get("/admin/")["Content-Language"] == "en"


def test_language_switch_updates_an_existing_preference(personas: Personas) -> None:
    UserPreference.objects.create(user=personas.staff, language="en")

    _signed_in(personas.staff).post("/i18n/setlang/", {"language": "de", "next": "/admin/"})

    assert list(UserPreference.objects.values_list("user__username", "language")) == [
        ("staff", "de")
    ]


def test_language_switch_ignores_languages_we_do_not_offer(personas: Personas) -> None:
    _signed_in(personas.staff).post("/i18n/setlang/", {"language": "fr", "next": "/admin/"})

    assert not UserPreference.objects.exists()


def test_anonymous_language_switch_only_sets_the_cookie(personas: Personas) -> None:
    client = Client()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert not UserPreference.objects.exists()
    assert client.get("/admin/login/")["Content-Language"] == "en"
