"""Background imports: the job worker's side of `channeldesk.core.import_jobs`.

The API stores a large file and queues `import_run` with the job's id; a worker imports it and
writes the outcome to the job's status row. Importing this module (from `jobs/tasks.py`, which
huey loads in every process) plugs the queue into the import framework.
"""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import db_task

from channeldesk.core.import_jobs import ImportJob, import_job_run, import_job_runner_register


def _importers() -> dict[str, Any]:
    """The importers by name, as `channeldesk import` and the API offer them. Imported when a
    job runs, not at every start of every process (the import framework loads pydantic)."""
    from channeldesk.catalog.imports import ORDERS_IMPORTER, PRODUCTS_IMPORTER  # noqa: PLC0415
    from channeldesk.contracts.imports import CONTRACTS_IMPORTER, CUSTOMERS_IMPORTER  # noqa: PLC0415
    from channeldesk.partners.imports import PARTNERS_IMPORTER  # noqa: PLC0415
    from channeldesk.training.imports import TRAINING_IMPORTER  # noqa: PLC0415

    importers = (
        PARTNERS_IMPORTER,
        PRODUCTS_IMPORTER,
        ORDERS_IMPORTER,
        CUSTOMERS_IMPORTER,
        CONTRACTS_IMPORTER,
        TRAINING_IMPORTER,
    )
    return {importer.name: importer for importer in importers}


def _after_partners(report: Any) -> None:
    # New or changed phone numbers route calls at once, as after a synchronous import.
    from channeldesk.tiers.hotlines import caller_numbers_refresh  # noqa: PLC0415

    caller_numbers_refresh()


@db_task()
def import_run(job_id: str) -> None:
    """Import the file of a queued job; a job already claimed (a repeated task) is skipped."""
    kind = ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    after = _after_partners if kind == "partners" else None
    import_job_run(job_id=job_id, importer=_importers()[kind], after=after)


def _enqueue(job_id: str) -> None:
    import_run(job_id)


import_job_runner_register(_enqueue)
