"""Request bodies of the ingest endpoints, read with their own limit.

Django refuses a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MiB) with an HTML 400, which is
right for every other endpoint but too little for a documented batch of 10,000 heartbeats or a
large import. The ingest endpoints (heartbeats, usage events, imports) read their body with
these parsers instead, up to `API_INGEST_MAX_BODY_BYTES`; a larger one answers 413 in the API's
error format before it is read to the end.

The body is read only when the view asks for `request.data`, after authentication and the
permission check, so a caller who may not use the endpoint never gets its body read.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import (  # type: ignore[attr-defined]  # not in the stubs
    BaseParser,
    DataAndFiles,
    MultiPartParser,
    get_encoding,
)

from channeldesk.api.errors import ApiError

# Read in pieces of this size, so a body is never held twice.
_CHUNK = 64 * 1024


def _too_large(limit: int) -> ApiError:
    return ApiError(
        _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
        code="request_too_large",
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _declared_length(parser_context: Mapping[str, Any] | None) -> int:
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def _ingest_limit(parser_context: Mapping[str, Any] | None) -> int:
    """`API_INGEST_MAX_BODY_BYTES`; 413 before anything is read when the request's declared
    length already passes it."""
    limit: int = settings.API_INGEST_MAX_BODY_BYTES
    if _declared_length(parser_context) > limit:
        raise _too_large(limit)
    return limit


def _copy_bounded(stream: IO[bytes], target: IO[bytes], limit: int) -> None:
    """Copy the body into `target`; 413 as soon as it passes `limit` bytes."""
    copied = 0
    while chunk := stream.read(_CHUNK):
        copied += len(chunk)
        if copied > limit:
            raise _too_large(limit)
        target.write(chunk)


class IngestJSONParser(BaseParser):
    """JSON up to `API_INGEST_MAX_BODY_BYTES`, parsed once; not a subclass of DRF's JSONParser,
    which DRF would hand the body through Django's smaller in-memory limit."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = _ingest_limit(parser_context)
        if stream is None:
            return {}
        encoding = get_encoding(parser_context or {})
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            _copy_bounded(stream, body, limit)  # type: ignore[arg-type]
            body.seek(0)
            try:
                return json.loads(body.read().decode(encoding))
            except (UnicodeDecodeError, ValueError, RecursionError) as error:
                raise ParseError(_("The body is not valid JSON.")) from error


class CsvBodyParser(BaseParser):
    """The raw body as the file, spooled to disk beyond Django's in-memory upload limit and
    refused beyond `API_INGEST_MAX_BODY_BYTES`."""

    media_type = "text/csv"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = _ingest_limit(parser_context)
        # Not a `with` block: the view reads the file after parse() returns, and the file is
        # closed when the request lets go of it.
        spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        if stream is not None:
            try:
                _copy_bounded(stream, spooled, limit)  # type: ignore[arg-type]
            except ApiError:
                spooled.close()
                raise
        spooled.seek(0)
        return {"body": spooled}


class IngestMultiPartParser(MultiPartParser):
    """An uploaded file (multipart field `file`), refused beyond `API_INGEST_MAX_BODY_BYTES`
    by its declared length before any of it is read (Django never reads past that length)."""

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> DataAndFiles[Any, Any]:
        _ingest_limit(parser_context)
        return super().parse(stream, media_type, parser_context)  # type: ignore[arg-type]
