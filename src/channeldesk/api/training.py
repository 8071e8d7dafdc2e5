"""API: the training company pushes its records; partners and staff read a partner's training.

- `POST /api/v1/training/records/` — the training company's CSV (multipart field `file` or a
  `text/csv` body) or JSON (`{"records": [{column: value}]}`), `?dry_run=true` to check only:
  the same import as `channeldesk import training`. Authenticated with the training company's
  own service token (scope `training`, which opens nothing else); channel managers may upload
  the file by hand too.
- `GET /api/v1/training/partners/{partner_number}/` — the partner's people and records, and
  what the policy in force asks in training. The partner itself and vendor staff; another
  partner gets 404.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from channeldesk.api.authentication import HasServiceScope
from channeldesk.api.documents import PartnerTrainingDocumentSerializer
from channeldesk.api.errors import ApiError, validated
from channeldesk.api.imports import (
    ImportQuerySerializer,
    ImportReportSerializer,
    ImportView,
    MayImport,
)
from channeldesk.api.parsers import IngestJSONParser
from channeldesk.api.partners import PartnerDocumentView
from channeldesk.core.importing import import_file
from channeldesk.core.models import TokenScope
from channeldesk.partners.models import Partner
from channeldesk.tiers.selectors import policy_in_force
from channeldesk.training.imports import TRAINING_IMPORTER
from channeldesk.training.selectors import partner_training, training_requirements


class TrainingRecordsImportView(ImportView):
    """The training company's push: its records as CSV, imported whole or not at all."""

    importer = TRAINING_IMPORTER
    parser_classes = [*ImportView.parser_classes, IngestJSONParser]
    permission_classes = [
        HasServiceScope.for_scope(TokenScope.TRAINING) | (IsAuthenticated & MayImport)
    ]

    @extend_schema(
        operation_id="training_records_import",
        summary="Push training records (CSV)",
        description=(
            "Columns: record_id, partner_number, course_code, participant_name, "
            "participant_email, session_date, status (booked, completed, no_show, cancelled); "
            'as CSV, or as JSON {"records": [{column: value}]}. '
            "The same record sent twice counts once; a record sent again with another status "
            "corrects it. Service token of scope 'training', or a channel manager."
        ),
        tags=["training"],
        request={
            "text/csv": OpenApiTypes.BINARY,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={200: ImportReportSerializer},
    )
    def post(self, request: Request) -> Response:
        if request.content_type.startswith("application/json"):
            return self._post_json(request)
        return super().post(request)

    def _post_json(self, request: Request) -> Response:
        """`{"records": [{column: value, ...}, ...]}`: the same import, one object per row.

        A problem's `row` is then the record's position in `records`, counted from 1.
        """
        records = request.data.get("records") if isinstance(request.data, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiError(
                'Send {"records": [...]} with one object per record.',
                code="invalid",
                details=[{"field": "records", "message": "A list of objects is required."}],
            )
        query = validated(ImportQuerySerializer, request.query_params)
        report = import_file(
            importer=TRAINING_IMPORTER,
            source=_csv_lines(records),
            file_name="records.json",
            dry_run=query["dry_run"],
        )
        if not report.accepted:
            details = [
                {**problem.as_dict(), "row": None if problem.row is None else problem.row - 1}
                for problem in report.problems
            ]
            raise ApiError(report.summary(), code="import_rejected", details=details)
        return Response(ImportReportSerializer(report).data)


def _csv_lines(records: list[dict[str, Any]]) -> list[bytes]:
    """JSON records as the CSV lines the importer reads (header first, ISO dates as sent)."""
    columns = list(TRAINING_IMPORTER.row_model.columns())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for item in records:
        writer.writerow(
            ["" if item.get(column) is None else str(item[column]) for column in columns]
        )
    return [line.encode() for line in buffer.getvalue().splitlines(keepends=True)]


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@extend_schema(responses={200: PartnerTrainingDocumentSerializer}, summary="A partner's training")
class PartnerTrainingView(PartnerDocumentView):
    def document(self, partner: Partner, *, today: dt.date) -> dict[str, Any]:
        policy = policy_in_force(on=today)
        requirements = (
            training_requirements(partner=partner, on=today, policy=policy) if policy else []
        )
        return {
            "partner_number": partner.partner_number,
            "on": today.isoformat(),
            "records": [_record(row) for row in partner_training(partner=partner, on=today)],
            "policy": policy.reference if policy else None,
            "requirements": [
                {
                    "tier": requirement.tier,
                    "course": requirement.course_code,
                    "course_name_de": requirement.course_name_de,
                    "course_name_en": requirement.course_name_en,
                    "people_required": requirement.people_required,
                    "people_counted": requirement.people_counted,
                    "holds": requirement.holds,
                }
                for requirement in requirements
            ],
        }


def _record(row: Any) -> dict[str, Any]:
    return {
        "record_id": row.record_id,
        "participant": row.participant_name,
        "email": row.participant_email,
        "course": row.course_code,
        "session_date": row.session_date.isoformat(),
        "status": row.status,
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "valid": row.is_valid,
    }


urlpatterns = [
    path("records/", TrainingRecordsImportView.as_view(), name="training-records"),
    path("partners/<str:partner_number>/", PartnerTrainingView.as_view(), name="training-partner"),
]
