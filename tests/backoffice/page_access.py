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
        PageCase(
            "the programme (the support desk goes to its own page)",
            answers(403, anonymous=302, support=302, staff=200),
            redirects={"support": "/backoffice/support/"},
        ),
        PageCase(
            "a chosen draft",
            answers(403, anonymous=302, support=302, staff=200),
            query={"policy": "default@1"},
            redirects={"support": "/backoffice/support/"},
        ),
        PageCase(
            "a published programme",
            answers(403, anonymous=302, support=302, staff=200),
            query={"policy": "previous@1"},
            redirects={"support": "/backoffice/support/"},
        ),
    ],
    "backoffice:support": [
        PageCase("the support desk's search", STAFF_PAGE),
        PageCase("a search finding nobody", STAFF_PAGE, query={"q": "Nobody at all"}),
        PageCase(
            "a search finding one partner opens its page",
            answers(403, anonymous=302, support=302, staff=302),
            query={"q": "A-1000"},
            redirects={
                "support": "/backoffice/partners/A-1000/",
                "staff": "/backoffice/partners/A-1000/",
            },
        ),
    ],
    "backoffice:publish-confirm": [
        PageCase(
            "the confirmation step",
            MANAGER_PAGE,
            query={"policy": "default@1", "effective_from": "2027-01-01"},
        ),
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
            "apply a published programme",
            MANAGER_ACTION,
            method="post",
            kwargs=lambda world: {"kind": "apply"},
            data=lambda world: {"policy": "previous@1"},
            redirects={"staff": DASHBOARD},
        ),
        PageCase(
            "applying a draft is not found",
            answers(403, anonymous=302, staff=404),
            method="post",
            kwargs=lambda world: {"kind": "apply"},
            data=_reference,
        ),
        PageCase(
            "send the due notices",
            MANAGER_ACTION,
            method="post",
            kwargs=lambda world: {"kind": "notices"},
            data=lambda world: {"policy": "previous@1"},
            redirects={"staff": DASHBOARD},
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
            data=lambda world: {
                "policy": world.draft.reference,
                "effective_from": "2027-01-01",
                "confirm": "on",
            },
            redirects={"staff": DASHBOARD},
        ),
        PageCase(
            "publishing without the confirmation asks again",
            answers(403, anonymous=302, staff=400),
            method="post",
            data=lambda world: {"policy": world.draft.reference, "effective_from": "2027-01-01"},
        ),
    ],
    "backoffice:partners": [
        PageCase("lookup", STAFF_PAGE),
        PageCase("search", STAFF_PAGE, query={"q": "Alpha"}),
        PageCase(
            "filtered and sorted",
            STAFF_PAGE,
            query={
                "tier": "silver",
                "postal_code": "1",
                "training_missing": "on",
                "sort": "revenue",
            },
        ),
        PageCase("invalid filters show the whole list", STAFF_PAGE, query={"tier": "platinum"}),
    ],
    "backoffice:partners-csv": [
        PageCase("export", MANAGER_PAGE),
        PageCase(
            "export of a filtered list", MANAGER_PAGE, query={"tier": "silver", "sort": "-revenue"}
        ),
    ],
    "backoffice:movers": [
        PageCase("movers of the draft", MANAGER_PAGE),
        PageCase("movers down", MANAGER_PAGE, query={"direction": "down"}),
        PageCase(
            "an unknown draft",
            answers(403, anonymous=302, staff=404),
            query={"policy": "default@99"},
        ),
    ],
    "backoffice:movers-csv": [PageCase("movers export", MANAGER_PAGE)],
    "backoffice:renewals-csv": [PageCase("pipeline export", MANAGER_PAGE)],
    "backoffice:compliance-csv": [PageCase("compliance export", MANAGER_PAGE)],
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
        PageCase("dismissed", MANAGER_PAGE, query={"tab": "dismissed"}),
        PageCase(
            "searched, second page",
            MANAGER_PAGE,
            query={"tab": "planned", "q": "partner@", "page": "2", "reminder_page": "2"},
        ),
        PageCase("an unknown state", answers(403, anonymous=302, staff=404), query={"tab": "x"}),
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
    "backoffice:compliance": [
        PageCase("under-licensing report", MANAGER_PAGE),
        PageCase(
            "filtered by sector, partner and state",
            MANAGER_PAGE,
            query={"sector": "other", "partner": "A-1000", "state": "near_limit", "page": "2"},
        ),
        PageCase("an unusable filter", MANAGER_PAGE, query={"sector": "moon"}),
    ],
    "backoffice:training": [PageCase("partners held back only by training", MANAGER_PAGE)],
}
