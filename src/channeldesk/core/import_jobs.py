"""Imports that run in the background: a file too large to answer within one request.

A 200,000-line orders file takes longer than a web worker may spend on a request (gunicorn's
timeout), so the API stores such a file, answers 202 with a status resource, and a job worker
imports it (`channeldesk.jobs.imports`). The status row (`ImportJob`) says where the import is
(state, stage, bytes and rows done) and, once it is done, its report or its problems, in the
same form as a synchronous import.

The job queue is a face (`channeldesk.jobs`) above this layer, so it plugs its enqueue function
in (`import_job_runner_register`) rather than being imported from here.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field
from channeldesk.core.spreadsheets import WORKBOOK_SUFFIXES

if TYPE_CHECKING:
    # Imported where used: this module holds a model, loaded at every start, and the import
    # framework (pydantic, Babel) is not needed for most commands.
    from channeldesk.core.importing import Importer, ImportProgress, ImportResult

logger = logging.getLogger(__name__)

# Where uploaded files wait for their job, in the default storage (shared by every host).
UPLOAD_FOLDER = "imports"
# The status row is written at most this often while a file is read (plus at every stage).
PROGRESS_EVERY_SECONDS = 0.5
# The stages of `channeldesk.core.importing.ImportStage`, as stored.
STAGE_READING, STAGE_CHECKING, STAGE_WRITING = "reading", "checking", "writing"


class ImportJobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("imported")
    REJECTED = "rejected", _("rejected")
    FAILED = "failed", _("failed")


FINISHED_STATES = (ImportJobState.SUCCEEDED, ImportJobState.REJECTED, ImportJobState.FAILED)


class ImportJob(models.Model):
    """One import run in the background: the file waiting in storage, the progress, the outcome.

    The id is a random UUID: the status URL names it, and it must not be guessable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32)
    file_name = models.CharField(_("file name"), max_length=255)
    # The worksheet of a workbook to import; blank for its first worksheet, and for CSV files.
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    stored_as = models.CharField(_("stored as"), max_length=255, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=ImportJobState.choices, default=ImportJobState.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    bytes_total = models.BigIntegerField(_("bytes"), null=True, blank=True)
    bytes_done = models.BigIntegerField(_("bytes read"), default=0)
    rows_done = models.IntegerField(_("rows read"), default=0)
    rows_total = models.IntegerField(_("rows"), null=True, blank=True)
    report = models.JSONField(_("report"), null=True, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problem_count = models.IntegerField(_("problems found"), default=0)
    message = models.TextField(
        _("message"), blank=True, help_text=_("The report's summary, or why the job failed.")
    )
    created_by = actor_field(_("started by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("background import")
        verbose_name_plural = _("background imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.state})"


# --- Plugging in the job queue -------------------------------------------------------------------

type ImportJobRunner = Callable[[str], None]
_runner: ImportJobRunner | None = None


def import_job_runner_register(runner: ImportJobRunner) -> None:
    """Called by the job queue's module: how to run a job (by id) on a worker."""
    global _runner  # noqa: PLW0603 - a registry of one, filled at start-up
    _runner = runner


# --- Services -------------------------------------------------------------------------------------


def import_job_create(
    *,
    kind: str,
    source: Iterable[bytes],
    file_name: str,
    size: int | None,
    dry_run: bool,
    actor: Any,
    sheet: str | None = None,
) -> ImportJob:
    """Store the file and queue its import; the job is enqueued once this transaction commits
    (a worker must find the row). `sheet` names a workbook's sheet (default: the first)."""
    if _runner is None:
        raise RuntimeError("no job queue registered for background imports")
    job = ImportJob(
        kind=kind, file_name=file_name, sheet=sheet or "", dry_run=dry_run, bytes_total=size
    )
    job.created_by = actor if getattr(actor, "pk", None) else None
    upload = source if isinstance(source, File) else File(source)  # type: ignore[arg-type]
    # Stored under its kind of name, for whoever looks into the storage; the worker tells a
    # workbook from a CSV file by the upload's name and the file's first bytes, as ever.
    suffix = ".xlsx" if file_name.lower().endswith(WORKBOOK_SUFFIXES) else ".csv"
    job.stored_as = default_storage.save(f"{UPLOAD_FOLDER}/{job.id}{suffix}", upload)
    job.save()
    runner = _runner
    transaction.on_commit(lambda: runner(str(job.id)))
    return job


def import_job_run(
    *,
    job_id: str,
    importer: Importer[Any],
    after: Callable[[ImportResult], object] | None = None,
) -> ImportJob | None:
    """Run a queued import (on a worker). Idempotent: a job already claimed is left alone, so a
    task delivered twice imports once. `after` runs after an accepted, written import (what it
    returns is ignored)."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJobState.QUEUED).update(
        state=ImportJobState.RUNNING, started_at=timezone.now(), stage=STAGE_READING
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        report = _run(job, importer=importer)
        if report.accepted and not report.dry_run and after is not None:
            after(report)
    except Exception as error:
        logger.exception("background import %s failed", job.pk)
        _finish(job, state=ImportJobState.FAILED, message=f"{type(error).__name__}: {error}")
    else:
        _finish_with_report(job, report)
    return job


def _run(job: ImportJob, *, importer: Importer[Any]) -> ImportResult:
    from channeldesk.core.importing import import_file  # noqa: PLC0415 (see the imports)

    progress = _ProgressWriter(job)
    with default_storage.open(job.stored_as, "rb") as source:
        return import_file(
            importer=importer,
            source=source,
            file_name=job.file_name,
            total_bytes=job.bytes_total,
            dry_run=job.dry_run,
            progress=progress,
            sheet=job.sheet or None,
        )


class _ProgressWriter:
    """Writes the progress to the status row: at every new stage, and every
    PROGRESS_EVERY_SECONDS while the file is read."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.stage = STAGE_READING
        self.written = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if progress.stage == self.stage and now - self.written < PROGRESS_EVERY_SECONDS:
            return
        self.stage, self.written = progress.stage, now
        fields: dict[str, Any] = {"stage": progress.stage.value, "rows_done": progress.rows}
        if progress.stage == STAGE_READING:
            fields["bytes_done"] = progress.done
        else:
            fields["rows_total"] = progress.rows
            fields["bytes_done"] = self.job.bytes_total or 0
        fields["updated_at"] = timezone.now()
        ImportJob.objects.filter(pk=self.job.pk).update(**fields)


def _finish_with_report(job: ImportJob, report: ImportResult) -> None:
    job.report = report_as_dict(report)
    job.problems = [problem.as_dict() for problem in report.problems]
    job.problem_count = report.problem_count
    job.rows_done = job.rows_total = report.rows
    state = ImportJobState.SUCCEEDED if report.accepted else ImportJobState.REJECTED
    _finish(job, state=state, message=report.summary())


def _finish(job: ImportJob, *, state: ImportJobState, message: str) -> None:
    job.state, job.message, job.finished_at = state, message, timezone.now()
    job.stage = ""
    if job.stored_as:
        default_storage.delete(job.stored_as)
        job.stored_as = ""
    job.save()


def report_as_dict(report: ImportResult) -> dict[str, Any]:
    """The report as the API answers it (`channeldesk.api.imports.ImportReportSerializer`):
    `sheet` only for a workbook."""
    sheet = {} if report.sheet is None else {"sheet": report.sheet}
    return {
        "kind": report.kind,
        "file": report.file,
        **sheet,
        "dry_run": report.dry_run,
        "accepted": report.accepted,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "warnings": [warning.as_dict() for warning in report.warnings],
    }


# --- Selectors ------------------------------------------------------------------------------------


def import_job_find(*, job_id: Any) -> ImportJob | None:
    """The job with this id, or None. Every job is visible to whoever may import (vendor staff
    outside the support desk); the faces check that before they ask."""
    return ImportJob.objects.filter(pk=job_id).first()


def import_job_progress(job: ImportJob) -> float:
    """How far the job is, 0 to 1: reading is most of the work, so bytes read count for 0.9."""
    if job.state in FINISHED_STATES:
        return 1.0
    if job.stage in (STAGE_CHECKING, STAGE_WRITING):
        return 0.9 if job.stage == STAGE_CHECKING else 0.95
    if job.bytes_total:
        return round(0.9 * min(job.bytes_done / job.bytes_total, 1.0), 3)
    return 0.0
