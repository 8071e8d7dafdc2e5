"""API endpoints: imports. POST a CSV file or an Excel workbook to
/api/v1/imports/{partners,products,orders,customers,contracts}.

The same imports as `channeldesk import`, for the ERP to push to: the file as multipart field
`file`, or as the raw request body with `Content-Type: text/csv` or the .xlsx content type;
`?dry_run=true` checks without writing, `?sheet=NAME` picks a workbook's sheet. A rejected file
answers 400 with every problem in `details` and writes nothing.

A file of BACKGROUND_MIN_BYTES or more (or any file with `?background=true`) is imported by a
job worker instead: the answer is 202 with the job's status, which
`GET /api/v1/imports/jobs/<id>` reports until the import is done (docs/imports.md: a
200,000-line file takes longer than a web worker may spend on a request).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channeldesk.api.errors import ApiError, validated
from channeldesk.api.parsers import CsvBodyParser, IngestMultiPartParser
from channeldesk.api.permissions import IsVendorStaffWriter
from channeldesk.catalog.imports import ORDERS_IMPORTER, PRODUCTS_IMPORTER
from channeldesk.contracts.imports import CONTRACTS_IMPORTER, CUSTOMERS_IMPORTER, import_followup
from channeldesk.core.import_jobs import (
    ImportJob,
    import_job_create,
    import_job_find,
    import_job_progress,
)
from channeldesk.core.importing import Importer, ImportResult, import_file
from channeldesk.core.spreadsheets import XLSX_CONTENT_TYPE
from channeldesk.partners.imports import PARTNERS_IMPORTER

BODY_FILE_NAME = "body.csv"
WORKBOOK_BODY_FILE_NAME = "body.xlsx"
# Files from this size on are imported in the background (202 and a status resource). 2 MiB is
# about 35,000 order lines, a few seconds; well within gunicorn's 30 s, even on a busy host.
BACKGROUND_MIN_BYTES = 2 * 1024 * 1024
_FILENAME = re.compile(r'filename="?([^";]+)"?')


class MayImport(IsVendorStaffWriter):
    """Vendor staff, except the support desk, which only reads (imports write the register)."""

    message = _("Imports are for vendor staff; the support desk may only read.")


class ImportQuerySerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the file (including the database checks), write nothing."
    )
    background = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "true: import in the background (202 and a status resource); false: answer with the "
            f"report. Default: in the background from {BACKGROUND_MIN_BYTES // 1024 // 1024} MiB."
        ),
    )
    sheet = serializers.CharField(
        required=False,
        default=None,
        max_length=255,
        help_text=(
            "The worksheet of an .xlsx workbook to import (default: its first worksheet). "
            "Naming a sheet for a CSV file rejects it."
        ),
    )


class _WithSheet(serializers.Serializer[Any]):
    """Leaves `sheet` out where it is None: a CSV file's answer stays as it always was."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if data.get("sheet") is None:
            data.pop("sheet", None)
        return data


_SHEET_HELP = "The worksheet, for an .xlsx workbook only (then `row` is the sheet's row)."


class ImportProblemSerializer(_WithSheet):
    file = serializers.CharField()
    sheet = serializers.CharField(required=False, help_text=_SHEET_HELP)
    row = serializers.IntegerField(allow_null=True, help_text="The line in the file (1 = header).")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField(source="reason")


class ImportReportSerializer(_WithSheet):
    kind = serializers.CharField()
    file = serializers.CharField()
    sheet = serializers.CharField(
        required=False, help_text="The worksheet read, for an .xlsx workbook only."
    )
    dry_run = serializers.BooleanField()
    accepted = serializers.BooleanField()
    encoding = serializers.CharField(
        help_text="utf-8, utf-8 (BOM) or windows-1252; xlsx for a workbook."
    )
    delimiter = serializers.CharField(help_text="; , or a tab; empty for a workbook.")
    rows = serializers.IntegerField(help_text="Data rows read (blank lines not counted).")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    warnings = ImportProblemSerializer(many=True)


class ImportErrorDetailSerializer(serializers.Serializer[Any]):
    """A problem of a rejected file (`file`, `row`, `column`), or of the request (`field`)."""

    file = serializers.CharField(required=False)
    sheet = serializers.CharField(required=False, help_text=_SHEET_HELP)
    row = serializers.IntegerField(required=False, allow_null=True)
    column = serializers.CharField(required=False, allow_null=True)
    field = serializers.CharField(required=False, allow_null=True)
    message = serializers.CharField()


class ImportJobProblemSerializer(_WithSheet):
    """A problem of a file, as a rejected synchronous import lists it in `details`."""

    file = serializers.CharField()
    sheet = serializers.CharField(required=False, help_text=_SHEET_HELP)
    row = serializers.IntegerField(allow_null=True, help_text="The line in the file (1 = header).")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.Serializer[Any]):
    """A background import: where it is, and once done its report or its problems."""

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField(help_text="This status resource.")
    kind = serializers.CharField()
    file = serializers.CharField(source="file_name")
    sheet = serializers.CharField(
        help_text="The worksheet asked for (blank: the first, or a CSV file)."
    )
    dry_run = serializers.BooleanField()
    state = serializers.CharField(
        help_text="queued, running, succeeded, rejected (the file has problems) or failed."
    )
    stage = serializers.CharField(help_text="While running: reading, checking or writing.")
    progress = serializers.SerializerMethodField(help_text="0 to 1.")
    bytes_done = serializers.IntegerField()
    bytes_total = serializers.IntegerField(allow_null=True)
    rows_done = serializers.IntegerField(help_text="Data rows read so far.")
    rows_total = serializers.IntegerField(
        allow_null=True, help_text="Data rows of the file, once it has been read."
    )
    message = serializers.CharField(help_text="The summary once done, or why the job failed.")
    problem_count = serializers.IntegerField(help_text="Problems found (rejected files).")
    problems = ImportJobProblemSerializer(
        many=True, help_text="The first 1,000 problems in file order."
    )
    report = serializers.SerializerMethodField(help_text="Once done: the import's report.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, job: ImportJob) -> str:
        path = reverse("import-job", kwargs={"job_id": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_progress(self, job: ImportJob) -> float:
        return import_job_progress(job)

    @extend_schema_field(ImportReportSerializer(allow_null=True))
    def get_report(self, job: ImportJob) -> dict[str, Any] | None:
        # Stored as the API answers it (`core.import_jobs.report_as_dict`).
        return job.report  # type: ignore[no-any-return]


_ERROR_RESPONSE = inline_serializer(
    name="ImportRejected",
    fields={
        "error": inline_serializer(
            name="ImportRejectedError",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": ImportErrorDetailSerializer(many=True),
            },
        )
    },
)
_UPLOAD = inline_serializer(name="ImportUpload", fields={"file": serializers.FileField()})


class XlsxBodyParser(CsvBodyParser):
    """An .xlsx workbook as the raw body: spooled and bounded like a CSV body."""

    media_type = XLSX_CONTENT_TYPE


def _upload(request: Request) -> tuple[Iterable[bytes], str, int]:
    """The file, its name and size: from the multipart field `file` or from the raw body."""
    upload = request.FILES.get("file")
    if upload is not None:
        upload.seek(0)
        return upload, upload.name or "upload.csv", upload.size
    body = request.data.get("body") if isinstance(request.data, Mapping) else None
    if body is None:
        raise ApiError(
            str(
                _(
                    "Send the file as multipart field 'file', or as a text/csv or .xlsx "
                    "request body."
                )
            ),
            code="file_missing",
            details=[{"field": "file", "message": str(_("No file was sent."))}],
        )
    disposition = _FILENAME.search(request.headers.get("Content-Disposition", ""))
    size = body.seek(0, os.SEEK_END)
    body.seek(0)
    workbook = (request.content_type or "").startswith(XLSX_CONTENT_TYPE)
    default = WORKBOOK_BODY_FILE_NAME if workbook else BODY_FILE_NAME
    return body, disposition.group(1) if disposition else default, size


def _rejection(report: ImportResult) -> ApiError:
    details = [problem.as_dict() for problem in report.problems]
    return ApiError(report.summary(), code="import_rejected", details=details)


class ImportView(APIView):
    """Runs one importer on the posted file; the subclasses name the importer."""

    importer: ClassVar[Importer[Any]]
    parser_classes = [IngestMultiPartParser, CsvBodyParser, XlsxBodyParser]
    permission_classes = [IsAuthenticated, MayImport]

    def post(self, request: Request) -> Response:
        query = validated(ImportQuerySerializer, request.query_params)
        source, file_name, size = _upload(request)
        background = query["background"]
        if background or (background is None and size >= BACKGROUND_MIN_BYTES):
            job = import_job_create(
                kind=self.importer.name,
                source=source,
                file_name=file_name,
                size=size,
                dry_run=query["dry_run"],
                actor=request.user,
                sheet=query["sheet"],
            )
            data = ImportJobSerializer(job, context={"request": request}).data
            return Response(
                data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]}
            )
        report = import_file(
            importer=self.importer,
            source=source,
            file_name=file_name,
            total_bytes=size,
            dry_run=query["dry_run"],
            sheet=query["sheet"],
        )
        if not report.accepted:
            raise _rejection(report)
        if not report.dry_run:
            import_followup(self.importer.name)
        return Response(ImportReportSerializer(report).data)


def _documented[V: type[ImportView]](example: str) -> Callable[[V], V]:
    """Documents an import view in the OpenAPI schema, with `example` as its CSV example."""

    def decorate(view: V) -> V:
        documented: V = extend_schema_view(post=_import_schema(view.importer, example))(view)
        return documented

    return decorate


def _import_schema(importer: Importer[Any], example: str) -> Any:
    """The OpenAPI description of one import endpoint: its columns, request forms and answers."""
    optional = ", ".join(importer.optional_columns) or "none"
    return extend_schema(
        operation_id=f"imports_{importer.name}",
        summary=f"Import {importer.name} from a CSV file or an Excel workbook",
        description=(
            f"Columns: {', '.join(importer.required_columns)}; optional: {optional}. "
            "German Excel files (';', Windows-1252 or UTF-8 with BOM, 1.234,50, dd.mm.yyyy) "
            "and plain ones (',', UTF-8, ISO dates) are accepted, and .xlsx workbooks (told by "
            "the file name or its first bytes; the first worksheet or `sheet`; the header in "
            "the first row; numbers and dates as the cells store them; a problem's `sheet` and "
            "`row` name the sheet's row). The file is imported whole or not at all; "
            "re-importing the same file changes nothing. Vendor staff only."
        ),
        tags=["imports"],
        parameters=[ImportQuerySerializer],
        request={
            "multipart/form-data": _UPLOAD,
            "text/csv": OpenApiTypes.BINARY,
            XLSX_CONTENT_TYPE: OpenApiTypes.BINARY,
        },
        responses={
            200: ImportReportSerializer,
            202: OpenApiResponse(
                ImportJobSerializer,
                description=(
                    "A large file (or `background=true`): the import runs in the background; "
                    "poll the status resource (`url`, also the Location header)."
                ),
            ),
            400: OpenApiResponse(_ERROR_RESPONSE, description="The file was rejected."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Not vendor staff, or the support desk."),
        },
        examples=[OpenApiExample(f"{importer.name}.csv", value=example, media_type="text/csv")],
    )


@_documented(
    "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
    "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE136695976;"
    "info@alpha.example;authorized\n",
)
class PartnersImportView(ImportView):
    importer = PARTNERS_IMPORTER


@_documented(
    "sku;name_de;name_en;kind;list_price;unit\n"
    "AV-ENT-1Y;Virenschutz Enterprise;Antivirus Enterprise;enterprise;1.234,50;Lizenz\n",
)
class ProductsImportView(ImportView):
    importer = PRODUCTS_IMPORTER


@_documented(
    "order_number;partner_number;order_date;sku;quantity;net_amount\n"
    "SO-1;P-1001;15.03.2026;AV-ENT-1Y;10;9.876,00\n"
    "GS-1;P-1001;20.03.2026;AV-ENT-1Y;-1;-987,60\n",
)
class OrdersImportView(ImportView):
    importer = ORDERS_IMPORTER


@_documented(
    "customer_number;name;street;postal_code;city;country;language;sector;contact_name;"
    "contact_email;partner_number\n"
    "K-10001;Stadtverwaltung Musterstadt;Rathausplatz 1;12345;Musterstadt;DE;de;"
    "public_authority;Erika Mustermann;it@musterstadt.example;P-1001\n",
)
class CustomersImportView(ImportView):
    importer = CUSTOMERS_IMPORTER


@_documented(
    "contract_number;customer_number;partner_number;sku;seats;start_date;end_date;"
    "renews_contract_number\n"
    "V-2025-001;K-10001;P-1001;AV-ENT-1Y;250;01.04.2025;31.03.2026;\n"
    "V-2026-001;K-10001;P-1001;AV-ENT-1Y;300;01.04.2026;31.03.2027;V-2025-001\n",
)
class ContractsImportView(ImportView):
    importer = CONTRACTS_IMPORTER


class ImportJobView(APIView):
    """The status of a background import, for the staff who may import."""

    permission_classes = [IsAuthenticated, MayImport]

    @extend_schema(
        operation_id="imports_job",
        summary="Status of a background import",
        description=(
            "State, stage and progress (bytes and rows read) of an import that runs in the "
            "background; once done, its report (`succeeded`) or its problems (`rejected`, "
            "nothing written). Vendor staff who may import only."
        ),
        tags=["imports"],
        responses={
            200: ImportJobSerializer,
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Not vendor staff, or the support desk."),
            404: OpenApiResponse(description="No such import."),
        },
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = import_job_find(job_id=job_id)
        if job is None:
            raise Http404
        return Response(ImportJobSerializer(job, context={"request": request}).data)


urlpatterns = [
    path("partners", PartnersImportView.as_view(), name="import-partners"),
    path("products", ProductsImportView.as_view(), name="import-products"),
    path("orders", OrdersImportView.as_view(), name="import-orders"),
    path("customers", CustomersImportView.as_view(), name="import-customers"),
    path("contracts", ContractsImportView.as_view(), name="import-contracts"),
    path("jobs/<uuid:job_id>", ImportJobView.as_view(), name="import-job"),
]
