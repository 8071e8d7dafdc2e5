"""Who gets which answer from the background import's status resource (merged into the access
table, tests/api/access_table.py). Imports are for vendor staff who may write the register:
partner users, the support desk and outsiders never read an import's status."""

from __future__ import annotations

from typing import Any

from channeldesk.core.import_jobs import ImportJob, ImportJobState
from tests.api.access_table import Case, answers
from tests.api.world import World


def _finished_job(world: World) -> dict[str, Any]:
    job = ImportJob.objects.create(
        kind="orders",
        file_name="orders.csv",
        state=ImportJobState.SUCCEEDED,
        bytes_total=120,
        bytes_done=120,
        rows_done=2,
        rows_total=2,
        created_by=world.personas.staff,
    )
    return {"job_id": job.pk}


ACCESS: dict[str, list[Case]] = {
    "import-job": [
        Case(
            "status of a background import: vendor staff except the support desk",
            answers(403, anonymous=401, staff=200),
            kwargs=_finished_job,
        ),
        Case(
            "unknown import id",
            answers(403, anonymous=401, staff=404),
            kwargs=lambda world: {"job_id": "00000000-0000-4000-8000-000000000000"},
        ),
        Case(
            "writes are not offered",
            answers(403, anonymous=401, staff=405),
            method="post",
            kwargs=_finished_job,
        ),
    ],
}
