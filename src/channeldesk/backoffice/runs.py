"""Programme runs started from the dashboard (simulate, calibrate, apply, send the tier
notices), run outside the request.

A full-scale evaluation takes seconds, longer than a page should wait. So the view only
records a `ProgrammeRun` (status queued) and answers; the work runs in a background thread
of the web process, which writes its progress to the row; the page polls the row (htmx) and
shows the result when it is done:

1. `run_start` stores the row and, once the transaction commits, starts the thread (or does
   the work in the request when `BACKOFFICE_RUNS_INLINE` is set: tests, single-threaded
   servers).
2. `run_execute` marks the row running, evaluates the policy, then simulates or calibrates it
   (a calibration saves a new draft version) and stores the result document of
   `tiers.reports`, the same JSON the CLI and the API give. An application evaluates the
   published policy and records the tiers (`tiers_apply`, which refuses a period that has not
   ended: the view checks that first); a notice run sends the due tier notices in batches,
   counting them on the row as it goes. Any error is stored on the row.
3. A run that is neither done nor failed after `BACKOFFICE_RUN_TIMEOUT_SECONDS` was lost with
   its process (a restart): it counts as failed and a new one may be started.

The same run (kind, policy, date, targets) asked for again while one is queued or running is
not started twice: the running one is returned.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channeldesk.backoffice.models import ProgrammeRun, RunKind, RunStatus
from channeldesk.core.errors import DomainError, domain_error_message
from channeldesk.tiers.calibration import tiers_calibrate
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.notices import tier_notices_send
from channeldesk.tiers.reports import calibration_document, simulation_document
from channeldesk.tiers.selectors import tier_notices_due_count
from channeldesk.tiers.services import tiers_apply
from channeldesk.tiers.simulation import tiers_simulate

logger = logging.getLogger(__name__)


def run_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BACKOFFICE_RUN_TIMEOUT_SECONDS)


def run_is_lost(*, run: ProgrammeRun, now: dt.datetime | None = None) -> bool:
    """Queued or running for longer than the timeout: its thread died with its process."""
    if run.is_finished:
        return False
    return (now or timezone.now()) - run.created_at > run_timeout()


def run_start(
    *,
    kind: str,
    policy: TierPolicy,
    as_of: dt.date,
    targets: dict[str, tuple[int, int]] | None = None,
    actor: Any = None,
) -> ProgrammeRun:
    """Record a run and start it after the commit; an identical unfinished run is reused."""
    if kind not in RunKind.values:
        raise ValueError(f"Unknown run kind '{kind}'.")
    stored_targets = {code: list(bounds) for code, bounds in (targets or {}).items()}
    with transaction.atomic():
        unfinished = ProgrammeRun.objects.filter(
            kind=kind,
            policy=policy,
            as_of=as_of,
            targets=stored_targets,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
        ).first()
        if unfinished is not None and not run_is_lost(run=unfinished):
            return unfinished
        run = ProgrammeRun.objects.create(
            kind=kind,
            policy=policy,
            as_of=as_of,
            targets=stored_targets,
            started_by=actor if getattr(actor, "pk", None) else None,
            step="queued",
        )
        if not settings.BACKOFFICE_RUNS_INLINE:
            transaction.on_commit(lambda: _start_thread(run.pk))
            return run
    return run_execute(run_id=run.pk)


def _start_thread(run_id: int) -> None:
    thread = threading.Thread(
        target=_thread_main, args=(run_id,), name=f"programme-run-{run_id}", daemon=True
    )
    thread.start()


def _thread_main(run_id: int) -> None:
    try:
        run_execute(run_id=run_id)
    finally:
        # The thread's own database connection is not closed by any request cycle.
        connection.close()


def _progress(run_id: int, *, progress: int, step: str, **fields: Any) -> None:
    ProgrammeRun.objects.filter(pk=run_id).update(progress=progress, step=step, **fields)


def run_execute(*, run_id: int) -> ProgrammeRun:
    """Do the work of a queued run and store its result or its error (see the module doc)."""
    claimed = ProgrammeRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=5, step="measuring"
    )
    run = ProgrammeRun.objects.select_related("policy").get(pk=run_id)
    if not claimed:
        return run
    try:
        result, draft = _work(run)
    except Exception as error:  # any failure is shown to the user on the run
        if isinstance(error, DomainError):  # a refusal: its message is for people, as it is
            logger.warning("Programme run %s refused: %s", run_id, error.code)
            shown = domain_error_message(error)
        else:  # a bug: the type says more than the message alone
            logger.exception("Programme run %s failed", run_id)
            shown = f"{type(error).__name__}: {error}"
        _progress(
            run_id,
            progress=100,
            step="failed",
            status=RunStatus.FAILED,
            error=shown,
            finished_at=timezone.now(),
        )
    else:
        _progress(
            run_id,
            progress=100,
            step="done",
            status=RunStatus.DONE,
            result=result,
            draft=draft,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


# Notices sent per batch of a notice run: the row's progress moves after each batch.
NOTICE_BATCH = 50


def _work(run: ProgrammeRun) -> tuple[dict[str, Any], TierPolicy | None]:
    if run.kind == RunKind.NOTICES:
        return _send_notices(run), None
    evaluation = tiers_evaluate(policy=run.policy, as_of=run.as_of)
    if run.kind == RunKind.APPLY:
        _progress(run.pk, progress=60, step="recording")
        applied = tiers_apply(
            policy=run.policy, as_of=run.as_of, evaluation=evaluation, actor=run.started_by
        )
        return {
            "valid_from": applied.valid_from.isoformat(),
            "partners": len(evaluation.decisions),
            "created": applied.created,
            "corrected": applied.corrected,
            "unchanged": applied.unchanged,
            "movers": len(applied.movers),
            "notices": applied.notices,
        }, None
    if run.kind == RunKind.SIMULATE:
        _progress(run.pk, progress=60, step="costing")
        simulation = tiers_simulate(policy=run.policy, as_of=run.as_of, evaluation=evaluation)
        return simulation_document(simulation), None
    _progress(run.pk, progress=60, step="calibrating")
    targets = {code: (int(low), int(high)) for code, (low, high) in run.targets.items()}
    calibration = tiers_calibrate(
        policy=run.policy, as_of=run.as_of, targets=targets, save=True, evaluation=evaluation
    )
    return calibration_document(calibration), calibration.draft


def _send_notices(run: ProgrammeRun) -> dict[str, Any]:
    """Send the notices due on the run's date in batches, counting on the row as it goes.

    Each batch is `tier_notices_send`, which claims every notice in its own transaction, so a
    run that dies half-way leaves the rest planned for the next run (or the job)."""
    due = tier_notices_due_count(today=run.as_of)
    totals = {"due": due, "sent": 0, "letters": 0, "emails": 0, "without_email": 0}
    _progress(run.pk, progress=5, step="sending", result=totals)
    while True:
        batch = tier_notices_send(today=run.as_of, limit=NOTICE_BATCH)
        if batch.sent == 0:
            return totals
        totals["sent"] += batch.sent
        totals["letters"] += batch.letters
        totals["emails"] += batch.emails
        totals["without_email"] += len(batch.without_email)
        done = min(99, 5 + 94 * totals["sent"] // max(due, 1))
        _progress(run.pk, progress=done, step="sending", result=totals)


def run_latest(*, policy: TierPolicy, kind: str) -> ProgrammeRun | None:
    return (
        ProgrammeRun.objects.filter(policy=policy, kind=kind)
        .select_related("draft")
        .order_by("-created_at", "-id")
        .first()
    )
