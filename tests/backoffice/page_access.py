"""Page access rows of the vendor back office."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.access import given, no_arguments
from tests.portal.page_table import MANAGER_PAGE, STAFF_PAGE, PageCase, answers
from tests.portal.world import PortalWorld


def _policy(world: PortalWorld) -> dict[str, Any]:
    return {"policy": world.draft.reference, "as_of": "2026-07-01"}


def _reference(world: PortalWorld) -> dict[str, str]:
    return {"policy": world.draft.reference}


def _close_round(world: PortalWorld) -> dict[str, Any]:
    return {"policy": world.draft.reference, "open": "0"}


def _publish(world: PortalWorld) -> dict[str, Any]:
    return {"policy": world.draft.reference, "effective_from": "2027-01-01", "confirm": "on"}


def _publish_unconfirmed(world: PortalWorld) -> dict[str, Any]:
    return {"policy": world.draft.reference, "effective_from": "2027-01-01"}


def _message(world: PortalWorld, action: str) -> dict[str, Any]:
    from channeldesk.notifications.models import OutboxMessage

    return {"message_id": OutboxMessage.objects.get().pk, "action": action}


def _run(world: PortalWorld) -> dict[str, Any]:
    from channeldesk.backoffice.models import ProgrammeRun

    run = ProgrammeRun.objects.create(
        kind="simulate", policy=world.draft, as_of=world.draft.created_at.date()
    )
    return {"run_id": run.pk}


Builder = Callable[[PortalWorld], dict[str, Any]]


def _managers(status: int) -> dict[str, int]:
    """Channel managers (the `staff` persona) get `status`; the support desk too is refused."""
    return answers(403, anonymous=302, staff=status)


def _action(
    label: str,
    expect: dict[str, int],
    kwargs: Builder = no_arguments,
    data: Builder | None = None,
    *,
    then: str | None = None,
) -> PageCase:
    """A POST row; a channel manager's redirect leads to `then`."""
    redirects = {"staff": then} if then else {}
    return PageCase(label, expect, kwargs=kwargs, method="post", data=data, redirects=redirects)


DASHBOARD = "/backoffice/"
OUTBOX = "/backoffice/outbox/"
MANAGER_ACTION = _managers(302)
# The support desk goes to its own page.
DASHBOARD_PAGE = answers(403, anonymous=302, support=302, staff=200)
SUPPORT_TO_ITS_PAGE = {"support": "/backoffice/support/"}
PUBLISHED = given(policy="previous@1")

PAGES: dict[str, list[PageCase]] = {
    "backoffice:dashboard": [
        PageCase(label, DASHBOARD_PAGE, query=query, redirects=SUPPORT_TO_ITS_PAGE)
        for label, query in (
            ("the programme (the support desk goes to its own page)", {}),
            ("a chosen draft", {"policy": "default@1"}),
            ("a published programme", {"policy": "previous@1"}),
        )
    ],
    "backoffice:support": [
        PageCase("the support desk's search", STAFF_PAGE),
        PageCase("a search finding nobody", STAFF_PAGE, query={"q": "Nobody at all"}),
        PageCase(
            "a search finding one partner opens its page",
            answers(403, anonymous=302, support=302, staff=302),
            query={"q": "A-1000"},
            redirects=dict.fromkeys(("support", "staff"), "/backoffice/partners/A-1000/"),
        ),
    ],
    "backoffice:publish-confirm": [
        PageCase(
            "the confirmation step",
            MANAGER_PAGE,
            query={"policy": "default@1", "effective_from": "2027-01-01"},
        ),
    ],
    # Rows of (label, answers, kind of run, form, where a channel manager is sent).
    "backoffice:run-create": [
        _action(label, expect, given(kind=kind), form, then=then)
        for label, expect, kind, form, then in (
            ("simulate the draft", MANAGER_ACTION, "simulate", _policy, DASHBOARD),
            ("a run without a date is refused", _managers(400), "calibrate", _reference, None),
            ("apply a published programme", MANAGER_ACTION, "apply", PUBLISHED, DASHBOARD),
            ("applying a draft is not found", _managers(404), "apply", _reference, None),
            ("send the due notices", MANAGER_ACTION, "notices", PUBLISHED, DASHBOARD),
            ("an unknown kind", _managers(404), "guess", _policy, None),
        )
    ],
    "backoffice:run-status": [PageCase("a run's progress", MANAGER_PAGE, kwargs=_run)],
    "backoffice:feedback-round": [
        _action("close the feedback round", MANAGER_ACTION, data=_close_round, then=DASHBOARD)
    ],
    "backoffice:publish": [
        _action("publish the draft", MANAGER_ACTION, data=_publish, then=DASHBOARD),
        _action(
            "publishing without the confirmation asks again",
            _managers(400),
            data=_publish_unconfirmed,
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
        PageCase("export as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
        PageCase(
            "filtered list as Excel",
            MANAGER_PAGE,
            query={"tier": "silver", "sort": "-revenue", "format": "xlsx"},
        ),
        PageCase("an unknown file format", _managers(400), query={"format": "ods"}),
    ],
    "backoffice:movers": [
        PageCase("movers of the draft", MANAGER_PAGE),
        PageCase("movers down", MANAGER_PAGE, query={"direction": "down"}),
        PageCase("an unknown draft", _managers(404), query={"policy": "default@99"}),
    ],
    "backoffice:movers-csv": [
        PageCase("movers export", MANAGER_PAGE),
        PageCase("movers as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
    ],
    "backoffice:renewals-csv": [
        PageCase("pipeline export", MANAGER_PAGE),
        PageCase("pipeline as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
    ],
    "backoffice:export-partners": [
        PageCase("partners for the import", MANAGER_PAGE),
        PageCase("partners for the import as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
    ],
    "backoffice:export-orders": [
        PageCase("orders for the import", MANAGER_PAGE),
        PageCase("orders for the import as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
    ],
    "backoffice:export-contracts": [
        PageCase("contracts for the import", MANAGER_PAGE),
        PageCase("contracts for the import as Excel", MANAGER_PAGE, query={"format": "xlsx"}),
        PageCase("an unknown file format", _managers(400), query={"format": "ods"}),
    ],
    "backoffice:compliance-csv": [PageCase("compliance export", MANAGER_PAGE)],
    "backoffice:partner": [
        PageCase("partner A", STAFF_PAGE, kwargs=given(partner_number="A-1000")),
        PageCase(
            "unknown partner",
            answers(403, anonymous=302, support=404, staff=404),
            kwargs=given(partner_number="Z-9"),
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
        PageCase("an unknown state", _managers(404), query={"tab": "x"}),
    ],
    "backoffice:message-action": [
        _action(
            "dismiss a pending e-mail",
            MANAGER_ACTION,
            lambda world: _message(world, "dismiss"),
            given(reason="moot", tab="planned"),
            then=OUTBOX,
        ),
        _action("an unknown action", _managers(404), lambda world: _message(world, "explode")),
    ],
    "backoffice:reminder-action": [
        _action(
            "releasing a sent reminder is refused with a message",
            MANAGER_ACTION,
            lambda world: {"reminder_id": world.letter_a.pk, "action": "release"},
            then=OUTBOX,
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
