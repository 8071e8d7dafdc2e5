"""Background imports: the job worker's side of `channeldesk.core.import_jobs`.

The API stores a large file and queues `import_run` with the job's id; a worker imports it and
writes the outcome to the job's status row. Importing this module (from `jobs/tasks.py`, which
huey loads in every process) plugs the queue into the import framework.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from channeldesk.core.import_jobs import ImportJob, import_job_run, import_job_runner_register


@db_task()
def import_run(job_id: str) -> None:
    """Import the file of a queued job; a job already claimed (a repeated task) is skipped."""
    kind = ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    # Imported when a job runs, not at every start of every process (imports load pydantic).
    from channeldesk.contracts.imports import IMPORTERS, import_followup  # noqa: PLC0415

    import_job_run(
        job_id=job_id, importer=IMPORTERS[kind], after=lambda report: import_followup(kind)
    )


def _enqueue(job_id: str) -> None:
    import_run(job_id)


import_job_runner_register(_enqueue)
