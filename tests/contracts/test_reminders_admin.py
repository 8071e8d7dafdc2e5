"""The reminder admin: rules are data staff edit (checked), reminders are acted on by actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from channeldesk.contracts.models import Reminder, ReminderRule, ReminderStatus
from channeldesk.contracts.reminders.planning import reminders_plan
from tests.contracts.reminders_world import PLAN_DAY, events, reminder_of, reminders_state, world
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def rule_form(rule: ReminderRule, **changes: Any) -> dict[str, Any]:
    values = {
        "schedule": rule.schedule_id,
        "offset_days": rule.offset_days,
        "audience": rule.audience,
        "channel": rule.channel,
        "template": rule.template,
        "grace_days": rule.grace_days,
        "is_active": "on",
        "subject_de": "",
        "body_de": "",
        "subject_en": "",
        "body_en": "",
    }
    return {**values, **changes}


def rules_state() -> list[dict[str, Any]]:
    return list(ReminderRule.objects.order_by("pk").values())


def post_rule(client: Client, rule: ReminderRule, **changes: Any) -> Any:
    return client.post(
        f"/admin/contracts/reminderrule/{rule.pk}/change/", rule_form(rule, **changes)
    )


def test_staff_change_a_rules_offset(staff_client: Client) -> None:
    rule = ReminderRule.objects.get(template="partner_advance_notice")

    response = post_rule(staff_client, rule, offset_days=-70)

    assert response.status_code == 302
    assert ReminderRule.objects.get(pk=rule.pk).offset_days == -70


@pytest.mark.parametrize(
    ("template", "changes", "field", "error"),
    [
        # The admin speaks German by default (LANGUAGE_CODE), labels included.
        (
            "renewal_letter",
            {"channel": "email"},
            "channel",
            "Diese Vorlage wird als Brief versandt.",
        ),
        (
            "partner_letter_copy",
            {"audience": "customer"},
            "audience",
            "Diese Vorlage richtet sich an: betreuender Partner.",
        ),
        (
            "renewal_letter",
            {"body_de": "Hallo"},
            "body_de",
            "Brieftexte stammen aus der Briefvorlage des Dokumentenmoduls.",
        ),
        (
            "partner_advance_notice",
            {"subject_en": "Ends {% if %}"},
            "subject_en",
            "Unexpected end of expression in if tag.",
        ),
    ],
)
def test_a_rule_that_cannot_work_is_refused_and_nothing_changes(
    staff_client: Client, template: str, changes: dict[str, str], field: str, error: str
) -> None:
    rule = ReminderRule.objects.get(template=template)
    before = rules_state()

    response = post_rule(staff_client, rule, **changes)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert rules_state() == before


def test_the_schedule_page_lists_its_rules(staff_client: Client) -> None:
    response = staff_client.get(
        f"/admin/contracts/reminderschedule/{ReminderRule.objects.first().schedule_id}/change/"
    )

    assert response.status_code == 200
    assert len(response.context["inline_admin_formsets"][0].formset.forms) == 4


def test_staff_release_a_failed_reminder_from_the_list(
    staff_client: Client, personas: Personas
) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    advance = reminder_of("V-1", "partner_advance_notice")
    Reminder.objects.filter(pk=advance.pk).update(
        status=ReminderStatus.FAILED, reason="No address."
    )

    response = staff_client.post(
        "/admin/contracts/reminder/",
        {"action": "release", "_selected_action": [advance.pk], "reason": ""},
    )

    advance.refresh_from_db()
    assert response.status_code == 302
    assert (advance.status, advance.reason) == ("planned", "Released by staff.")
    assert events(advance) == [("released", "Released from failed. Released in the admin.")]
    assert advance.events.get().actor == personas.staff


def test_dismissing_without_a_reason_changes_nothing(staff_client: Client) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    advance = reminder_of("V-1", "partner_advance_notice")
    before = reminders_state()

    response = staff_client.post(
        "/admin/contracts/reminder/",
        {"action": "dismiss", "_selected_action": [advance.pk], "reason": ""},
        follow=True,
    )

    assert [str(message) for message in response.context["messages"]] == [
        "Geben Sie einen Grund an, um Erinnerungen zu verwerfen."
    ]
    assert reminders_state() == before


def test_the_reminder_page_shows_its_history(staff_client: Client) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    advance = reminder_of("V-1", "partner_advance_notice")
    staff_client.post(
        "/admin/contracts/reminder/",
        {"action": "dismiss", "_selected_action": [advance.pk], "reason": "Phoned instead"},
    )

    response = staff_client.get(f"/admin/contracts/reminder/{advance.pk}/change/")

    assert response.status_code == 200
    assert "Dismissed from planned: Phoned instead" in response.content.decode()
