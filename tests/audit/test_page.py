"""The back office's audit trail: filters, pages, the reader's language, partner isolation; and
entries that nothing in the app can change or delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from channeldesk.audit.models import AuditEntry, AuditTrailImmutable
from channeldesk.audit.services import audit_record
from channeldesk.core.models import UserPreference
from tests.clock import instant_of
from tests.personas import Personas, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]
URL = "/backoffice/audit/"


@pytest.fixture
def trail(personas: Personas) -> dict[str, AuditEntry]:
    """Entries on three days, for partner A, partner B and none, by staff and by the system."""
    for user in (personas.staff, personas.support):
        sign_in(Client(), user)  # staff get their second factor (an entry) before the trail
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)  # the personas' own entries
    entries = {}
    with time_machine.travel(instant_of("2026-11-02"), tick=False):
        entries["a_old"] = audit_record(
            action="keycode.revoke", target=personas.partner_a, partner=personas.partner_a
        )
    with time_machine.travel(instant_of("2026-12-01"), tick=False):
        entries["b"] = audit_record(
            action="outbox.release",
            target=personas.partner_b,
            partner=personas.partner_b,
            actor=personas.staff,
            changes={"status": ("review", "pending")},
        )
    entries["run"] = audit_record(
        action="tiers.apply", target=personas.partner_a, counts={"partners": 1250, "created": 12}
    )
    entries["a_new"] = audit_record(
        action="keycode.reveal",
        target=personas.partner_a,
        partner=personas.partner_a,
        actor=personas.staff,
        operation="access",
    )
    return entries


def manager(personas: Personas, language: str = "en") -> Client:
    """A channel manager's browser, in English unless told (messages asserted in English)."""
    UserPreference.objects.update_or_create(user=personas.staff, defaults={"language": language})
    client = Client()
    sign_in(client, personas.staff)
    return client


def shown(response: Any) -> list[int]:
    return [row.entry.pk for row in response.context["rows"]]


def test_the_trail_lists_every_entry_newest_first(
    personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    response = manager(personas).get(URL)

    assert response.status_code == 200
    assert shown(response) == [
        trail["a_new"].pk,
        trail["run"].pk,
        trail["b"].pk,
        trail["a_old"].pk,
    ]
    body = response.content.decode()
    assert "Tiers applied" in body
    assert "1,250" in body  # the run's count, in the reader's number format
    assert "review → pending" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"partner": "A-1000"}, ["a_new", "a_old"]),
        ({"partner": "b-2000"}, ["b"]),
        ({"user": "STAFF"}, ["a_new", "b"]),
        ({"user": "system"}, ["run", "a_old"]),
        ({"kind": "keycode.revoke"}, ["a_old"]),
        ({"since": "2026-12-01"}, ["a_new", "run", "b"]),
        ({"until": "2026-12-01"}, ["b", "a_old"]),
        ({"since": "2026-11-02", "until": "2026-11-02"}, ["a_old"]),
        ({"partner": "A-1000", "user": "staff"}, ["a_new"]),
    ],
)
def test_filters_narrow_the_trail(
    query: dict[str, str], expected: list[str], personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    response = manager(personas).get(URL, query)

    assert response.status_code == 200
    assert shown(response) == [trail[name].pk for name in expected]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"partner": "Z-9999"}, "No partner has the number Z-9999."),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "The end date is before the start date."),
        ({"since": "yesterday"}, "Enter a valid date."),
        ({"kind": "made.up"}, "Select a valid choice."),
    ],
)
def test_a_bad_filter_is_a_400_that_says_why(
    query: dict[str, str], message: str, personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    response = manager(personas).get(URL, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert shown(response) == []


def test_the_trail_is_paged(
    personas: Personas, trail: dict[str, AuditEntry], settings: Any
) -> None:
    settings.AUDIT_PAGE_SIZE = 3

    first = manager(personas).get(URL)
    second = manager(personas).get(URL, {"page": "2"})

    assert shown(first) == [trail["a_new"].pk, trail["run"].pk, trail["b"].pk]
    assert shown(second) == [trail["a_old"].pk]
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize(
    ("language", "date"), [("de", "7. Dezember 2026, 10:00"), ("en", "7 December 2026, 10:00")]
)
def test_dates_are_in_the_readers_language(
    language: str, date: str, personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    response = manager(personas, language=language).get(URL)

    assert date in response.content.decode()


@pytest.mark.parametrize("persona", ["partner_a_admin", "partner_a_user", "partner_b_user"])
def test_partner_users_see_nothing_of_the_trail(
    persona: str, personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    client = Client()
    sign_in(client, personas.all()[persona])

    for query in ({}, {"partner": "A-1000"}):
        response = client.get(URL, query)
        assert response.status_code == 403
        assert "keycode" not in response.content.decode().lower()


def test_the_support_desk_does_not_see_the_trail(
    personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    client = Client()
    sign_in(client, personas.support)

    assert client.get(URL).status_code == 403


def test_the_back_office_menu_links_the_trail_for_managers_only(personas: Personas) -> None:
    support = Client()
    sign_in(support, personas.support)

    assert f'href="{URL}"' in manager(personas).get("/backoffice/partners/").content.decode()
    assert f'href="{URL}"' not in support.get("/backoffice/partners/").content.decode()


# --- Nothing changes or deletes an entry --------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_entry(trail: dict[str, AuditEntry]) -> None:
    entry = trail["b"]
    stored = AuditEntry.objects.values().get(pk=entry.pk)

    entry.object_repr = "tampered"
    with pytest.raises(AuditTrailImmutable):
        entry.save()
    with pytest.raises(AuditTrailImmutable):
        entry.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="tampered")
    with pytest.raises(AuditTrailImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.values().get(pk=entry.pk) == stored


def test_the_admin_refuses_to_add_change_or_delete_even_for_a_superuser(
    personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    client = manager(personas)  # staff is a superuser
    entry = trail["b"]
    before = AuditEntry.objects.count()
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])

    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(change).status_code == 200  # read-only view
    assert client.post(change, {"object_repr": "tampered"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    changelist = client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert changelist.status_code in {200, 302}
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == entry.object_repr


def test_removing_a_user_keeps_their_entries_and_name(
    personas: Personas, trail: dict[str, AuditEntry]
) -> None:
    staff_entries = AuditEntry.objects.filter(actor_label="staff").count()

    personas.staff.delete()

    assert AuditEntry.objects.filter(actor_label="staff", actor__isnull=True).count() == (
        staff_entries
    )
    assert trail["b"].timestamp.date() == dt.date(2026, 12, 1)
