"""Large files through the API: imported by a job worker, with a status resource (docs/imports.md).

The job queue is replaced by a list (the test plays the worker and runs the queued task's
function itself, as `channeldesk run_huey` would), so every step can be looked at in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from channeldesk.api import imports as api_imports
from channeldesk.catalog.models import Order, OrderLine
from channeldesk.core import import_jobs
from channeldesk.core.import_jobs import ImportJob, ImportJobState
from channeldesk.core.spreadsheets import XLSX_CONTENT_TYPE
from channeldesk.jobs.imports import import_run
from tests.factories import PartnerFactory, ProductFactory
from tests.imports.helpers import database_state, excel_csv, workbook
from tests.personas import Personas

pytestmark = pytest.mark.django_db

ORDERS_URL = "/api/v1/imports/orders"
HEADER = "order_number;partner_number;order_date;sku;quantity;net_amount\n"


def orders_file(lines: int, *, ending: tuple[str, ...] = ()) -> str:
    """Orders of two lines each; `ending` replaces the last lines."""
    rows = [
        f"SO-{line // 2};P-1001;15.03.2026;AV-BOX;1;{line % 90 + 1},50" for line in range(lines)
    ]
    if ending:
        rows[-len(ending) :] = ending
    return HEADER + "\n".join(rows) + "\n"


def upload(text: str, name: str = "orders.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, excel_csv(text), content_type="text/csv")}


@pytest.fixture(autouse=True)
def _register(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    PartnerFactory(partner_number="P-1001")
    ProductFactory(sku="AV-BOX")


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids the API queued, instead of the job queue."""
    queued: list[str] = []
    monkeypatch.setattr(import_jobs, "_runner", queued.append)
    return queued


@pytest.fixture
def staff_client(personas: Personas, api_client: APIClient) -> APIClient:
    api_client.force_authenticate(personas.staff)
    return api_client


@pytest.fixture
def post_in_background(
    staff_client: APIClient, queue: list[str], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    def post(text: str, **query: str) -> Any:
        url = ORDERS_URL + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(url, upload(text), format="multipart")

    return post


def stored_uploads(settings: Any) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / import_jobs.UPLOAD_FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.today("2026-12-07")
def test_a_large_file_is_imported_in_the_background_with_its_progress(
    post_in_background: Callable[..., Any],
    staff_client: APIClient,
    queue: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a file over the threshold for background imports (lowered for the test)
    monkeypatch.setattr(api_imports, "BACKGROUND_MIN_BYTES", 10_000)
    text = orders_file(3_000)
    # When staff posts it
    response = post_in_background(text)
    # Then it answers 202 with a status resource, queues one job and has written nothing yet
    assert response.status_code == 202
    status = response.json()
    assert response["Location"] == status["url"]
    assert (status["state"], status["progress"], status["rows_done"]) == ("queued", 0.0, 0)
    assert status["bytes_total"] == len(excel_csv(text))
    assert queue == [status["id"]]
    assert len(stored_uploads(settings)) == 1
    assert not Order.objects.exists()
    # When the worker runs the job, reporting its progress as it goes
    seen = watch_progress(monkeypatch)
    import_run.call_local(status["id"])
    # Then the status row moved through the stages, rows and bytes rising
    assert [stage for stage, _, _ in seen][-2:] == ["checking", "writing"]
    rows = [rows for _, rows, _ in seen]
    assert rows == sorted(rows)
    assert rows[-1] == 3_000
    # And the status resource reports the finished import with its report
    done = staff_client.get(status["url"]).json()
    assert (done["state"], done["progress"], done["rows_done"], done["rows_total"]) == (
        "succeeded",
        1.0,
        3_000,
        3_000,
    )
    assert done["report"]["created"] == 1_500
    assert done["message"] == "orders.csv: 3000 rows, orders: 1500 created, 0 updated, 0 unchanged."
    assert (done["problems"], done["problem_count"]) == ([], 0)
    assert OrderLine.objects.count() == 3_000
    # And the uploaded file is gone from the storage
    assert stored_uploads(settings) == []


def watch_progress(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """(stage, rows done, bytes done) of the status row after every progress write."""
    seen: list[tuple[str, int, int]] = []
    write = import_jobs._ProgressWriter.__call__
    monkeypatch.setattr(import_jobs, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr("channeldesk.core.importing.PROGRESS_STEP_BYTES", 4_096)

    def watched(self: Any, progress: Any) -> None:
        write(self, progress)
        job = ImportJob.objects.get(pk=self.job.pk)
        seen.append((job.stage, job.rows_done, job.bytes_done))

    monkeypatch.setattr(import_jobs._ProgressWriter, "__call__", watched)
    return seen


@pytest.mark.today("2026-12-07")
def test_a_background_import_with_a_problem_in_its_last_line_writes_nothing(
    post_in_background: Callable[..., Any], staff_client: APIClient, settings: Any
) -> None:
    # Given a file whose last line names an unknown SKU and whose line before has a bad amount
    ending = ("SO-999;P-1001;15.03.2026;AV-BOX;1;9,505", "SO-999;P-1001;15.03.2026;NO-SKU;1;9,50")
    text = orders_file(2_000, ending=ending)
    before = database_state()
    # When it is imported in the background
    job_id = post_in_background(text, background="true").json()["id"]
    import_run.call_local(job_id)
    # Then the job is rejected with every problem named by file, line and column, nothing written
    status = staff_client.get(f"/api/v1/imports/jobs/{job_id}").json()
    assert (status["state"], status["problem_count"]) == ("rejected", 2)
    assert status["problems"] == [
        {
            "file": "orders.csv",
            "row": 2000,
            "column": "net_amount",
            "message": "9.505 has more than two decimal places",
        },
        {
            "file": "orders.csv",
            "row": 2001,
            "column": "sku",
            "message": "unknown SKU NO-SKU; import the product first",
        },
    ]
    assert status["message"] == "orders.csv: rejected with 2 problems; nothing was imported."
    assert status["report"]["accepted"] is False
    assert database_state() == before
    assert stored_uploads(settings) == []


@pytest.mark.today("2026-12-07")
def test_a_job_delivered_twice_imports_once(
    post_in_background: Callable[..., Any], staff_client: APIClient
) -> None:
    # Given a background import that ran
    job_id = post_in_background(orders_file(10), background="true").json()["id"]
    import_run.call_local(job_id)
    finished = ImportJob.objects.get(pk=job_id)
    # When the queue delivers the task again (a worker restarted, a retry)
    import_run.call_local(job_id)
    # Then nothing ran twice: the job and the orders are as they were
    again = ImportJob.objects.get(pk=job_id)
    assert (again.state, again.finished_at) == (ImportJobState.SUCCEEDED, finished.finished_at)
    assert OrderLine.objects.count() == 10


@pytest.mark.today("2026-12-07")
def test_a_small_file_is_still_answered_at_once(staff_client: APIClient, queue: list[str]) -> None:
    # Given a small file; When staff posts it without asking for the background
    response = staff_client.post(ORDERS_URL, upload(orders_file(4)), format="multipart")
    # Then the report comes back at once and nothing was queued
    assert (response.status_code, response.json()["created"], queue) == (200, 2, [])


@pytest.mark.today("2026-12-07")
def test_a_dry_run_in_the_background_writes_nothing(
    post_in_background: Callable[..., Any], staff_client: APIClient
) -> None:
    job_id = post_in_background(orders_file(6), background="true", dry_run="true").json()["id"]
    import_run.call_local(job_id)
    status = staff_client.get(f"/api/v1/imports/jobs/{job_id}").json()
    assert (status["state"], status["dry_run"], status["report"]["created"]) == (
        "succeeded",
        True,
        3,
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("staff", 200),
        ("support", 403),
        ("partner_a_admin", 403),
        ("partner_a_user", 403),
        ("partner_b_user", 403),
    ],
)
@pytest.mark.today("2026-12-07")
def test_only_staff_who_may_import_read_an_import_status(
    post_in_background: Callable[..., Any],
    personas: Personas,
    persona: str,
    status: int,
) -> None:
    # Given a background import started by staff
    job_id = post_in_background(orders_file(4), background="true").json()["id"]
    # When another persona asks for its status
    client = APIClient()
    client.force_authenticate(personas.all()[persona])
    response = client.get(f"/api/v1/imports/jobs/{job_id}")
    # Then only staff who may import learn anything about it
    assert response.status_code == status
    if status == 403:
        assert "orders.csv" not in response.content.decode()


def test_bad_requests_are_refused_and_queue_nothing(
    staff_client: APIClient, queue: list[str]
) -> None:
    before = database_state()
    # A background flag that is no boolean
    refused = staff_client.post(
        ORDERS_URL + "?background=perhaps", upload(orders_file(2)), format="multipart"
    )
    assert refused.status_code == 400
    # No file
    missing = staff_client.post(ORDERS_URL + "?background=true", {}, format="multipart")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "file_missing")
    # An id that is no import, and one that is no id at all
    unknown = staff_client.get("/api/v1/imports/jobs/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404
    assert staff_client.get("/api/v1/imports/jobs/not-an-id").status_code == 404
    assert (queue, ImportJob.objects.count(), database_state()) == ([], 0, before)


@pytest.mark.today("2026-12-07")
def test_a_raw_csv_body_goes_to_the_background_too(
    staff_client: APIClient, queue: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    # Given a text/csv body with its name in Content-Disposition
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            ORDERS_URL + "?background=true",
            data=excel_csv(orders_file(8)),
            content_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="erp.csv"'},
        )
    # Then it was stored and queued under its name, and the worker imports it
    assert (response.status_code, response.json()["file"], queue) == (
        202,
        "erp.csv",
        [response.json()["id"]],
    )
    import_run.call_local(queue[0])
    assert ImportJob.objects.get(pk=queue[0]).report["created"] == 4


def test_a_body_spooled_to_disk_is_stored_whole(
    staff_client: APIClient,
    queue: list[str],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Given a text/csv body over the size Django keeps in memory (so it was spooled to disk)
    body = excel_csv(orders_file(80_000))
    assert len(body) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    # When it is posted without saying where to import it
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ORDERS_URL, data=body, content_type="text/csv")
    # Then its size sends it to the background, stored byte for byte
    assert response.status_code == 202
    assert response.json()["bytes_total"] == len(body)
    assert [path.read_bytes() == body for path in stored_uploads(settings)] == [True]


# --- Excel workbooks -----------------------------------------------------------------------------


def xlsx_upload(content: bytes, name: str) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)}


def orders_workbook(*, last_amount: object = 10.5) -> bytes:
    rows: list[list[object]] = [
        ["order_number", "partner_number", "order_date", "sku", "quantity", "net_amount"]
    ]
    rows += [
        [f"SO-{line}", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, 10.5] for line in range(20)
    ]
    rows[-1][-1] = last_amount
    return workbook(rows, title="Orders", before={"Read me": [["Orders: next sheet."]]})


@pytest.mark.today("2026-12-07")
def test_a_workbook_imports_in_the_background_from_its_named_sheet(
    staff_client: APIClient,
    queue: list[str],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Given a workbook posted for a background import of its second sheet
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{ORDERS_URL}?background=true&sheet=Orders",
            xlsx_upload(orders_workbook(), name="orders.xlsx"),
            format="multipart",
        )
    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert (job.sheet, Path(job.stored_as).suffix) == ("Orders", ".xlsx")
    assert response.json()["sheet"] == "Orders"
    # When the worker runs it
    import_run.call_local(queue[0])
    # Then the sheet was imported, and the status says so
    status = staff_client.get(response.json()["url"]).json()
    assert (status["state"], status["rows_total"]) == ("succeeded", 20)
    assert (status["report"]["sheet"], status["report"]["created"]) == ("Orders", 20)
    assert (
        status["message"]
        == "orders.xlsx:Orders: 20 rows, orders: 20 created, 0 updated, 0 unchanged."
    )
    assert OrderLine.objects.count() == 20


@pytest.mark.today("2026-12-07")
def test_a_rejected_background_workbook_lists_its_problems_with_the_sheet(
    staff_client: APIClient, queue: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{ORDERS_URL}?background=true&sheet=Orders",
            xlsx_upload(orders_workbook(last_amount=10.555), name="orders.xlsx"),
            format="multipart",
        )

    import_run.call_local(queue[0])

    status = staff_client.get(response.json()["url"]).json()
    assert (status["state"], status["problem_count"]) == ("rejected", 1)
    assert status["problems"] == [
        {
            "file": "orders.xlsx",
            "sheet": "Orders",
            "row": 21,
            "column": "net_amount",
            "message": "10.555 has more than two decimal places",
        }
    ]
    assert not OrderLine.objects.exists()
