"""Page access rows of the vendor back office."""

from __future__ import annotations

from typing import Any

from tests.portal.page_table import MANAGER_PAGE, STAFF_PAGE, PageCase, answers
from tests.portal.world import PortalWorld


def _policy(world: PortalWorld) -> dict[str, Any]:
    return {"policy": world.draft.reference, "as_of": "2026-07-01"}


def _reference(world: PortalWorld) -> dict[str, str]:
    return {"policy": world.draft.reference}


def _message(world: PortalWorld, action: str) -> dict[str, Any]:
    from channeldesk.notifications.models import OutboxMessage

    return {"message_id": OutboxMessage.objects.get().pk, "action": action}


def _run(world: PortalWorld) -> dict[str, Any]:
    from channeldesk.backoffice.models import ProgrammeRun

    run = ProgrammeRun.objects.create(
        kind="simulate", policy=world.draft, as_of=world.draft.created_at.date()
    )
    return {"run_id": run.pk}


DASHBOARD = "/backoffice/"
MANAGER_ACTION = answers(403, anonymous=302, staff=302)

PAGES: dict[str, list[PageCase]] = {
    "backoffice:dashboard": [
        PageCase("the programme", MANAGER_PAGE),
        PageCase("a chosen draft", MANAGER_PAGE, query={"policy": "default@1"}),
    ],
    "backoffice:run-create": [
        PageCase(
            "simulate the draft",
            MANAGER_ACTION,
            method="post",
            kwargs=lambda world: {"kind": "simulate"},
            data=_policy,
            redirects={"staff": DASHBOARD},
        ),
        PageCase(
            "a run without a date is refused",
            answers(403, anonymous=302, staff=400),
            method="post",
            kwargs=lambda world: {"kind": "calibrate"},
            data=_reference,
        ),
        PageCase(
            "an unknown kind",
            answers(403, anonymous=302, staff=404),
            method="post",
            kwargs=lambda world: {"kind": "guess"},
            data=_policy,
        ),
    ],
    "backoffice:run-status": [PageCase("a run's progress", MANAGER_PAGE, kwargs=_run)],
    "backoffice:feedback-round": [
        PageCase(
            "close the feedback round",
            MANAGER_ACTION,
            method="post",
            data=lambda world: {"policy": world.draft.reference, "open": "0"},
            redirects={"staff": DASHBOARD},
        )
    ],
    "backoffice:publish": [
        PageCase(
            "publish the draft",
            MANAGER_ACTION,
            method="post",
            data=lambda world: {"policy": world.draft.reference, "effective_from": "2027-01-01"},
            redirects={"staff": DASHBOARD},
        )
    ],
    "backoffice:partners": [
        PageCase("lookup", STAFF_PAGE),
        PageCase("search", STAFF_PAGE, query={"q": "Alpha"}),
    ],
    "backoffice:partner": [
        PageCase("partner A", STAFF_PAGE, kwargs=lambda world: {"partner_number": "A-1000"}),
        PageCase(
            "unknown partner",
            answers(403, anonymous=302, support=404, staff=404),
            kwargs=lambda world: {"partner_number": "Z-9"},
        ),
    ],
    "backoffice:renewals": [PageCase("pipeline", MANAGER_PAGE)],
    "backoffice:outbox": [
        PageCase("in review", MANAGER_PAGE),
        PageCase("planned", MANAGER_PAGE, query={"tab": "planned"}),
    ],
    "backoffice:message-action": [
        PageCase(
            "dismiss a pending e-mail",
            MANAGER_ACTION,
            method="post",
            kwargs=lambda world: _message(world, "dismiss"),
            data=lambda world: {"reason": "moot", "tab": "planned"},
            redirects={"staff": "/backoffice/outbox/"},
        ),
        PageCase(
            "an unknown action",
            answers(403, anonymous=302, staff=404),
            method="post",
            kwargs=lambda world: _message(world, "explode"),
        ),
    ],
    "backoffice:reminder-action": [
        PageCase(
            "releasing a sent reminder is refused with a message",
            MANAGER_ACTION,
            method="post",
            kwargs=lambda world: {"reminder_id": world.letter_a.pk, "action": "release"},
            redirects={"staff": "/backoffice/outbox/"},
        )
    ],
    "backoffice:feedback": [PageCase("feedback list", MANAGER_PAGE)],
    "backoffice:compliance": [PageCase("under-licensing report", MANAGER_PAGE)],
    "backoffice:training": [PageCase("partners held back only by training", MANAGER_PAGE)],
}
