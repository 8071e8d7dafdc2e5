"""Logs: one line per event, JSON in production (`LOG_FORMAT=json`), readable on a console
otherwise, with the request id, user and partner of the request, or the job, on every line.

structlog renders both its own events and the standard library's records (Django, huey,
gunicorn's error log through Django's root logger), so everything a process writes has the same
shape. django-structlog's middleware gives each request its id (`X-Request-ID` from the proxy
when it is well-formed, else a new one) and logs `request_finished` with the status; our
middleware adds the partner number and answers with the id in `X-Request-ID`.

Plain Python on purpose where `settings.py` calls it (`logging_config`, `structlog_configure`,
`sentry_configure`): it runs before Django is set up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

# URL arguments that are secrets (invitation and password-reset links): never written to a log.
SECRET_URL_ARGUMENTS = frozenset({"token", "key", "uidb36", "uidb64"})
REDACTED = "[redacted]"


def _shared_processors() -> list[Any]:
    """The processors both structlog's events and the standard library's records pass."""
    import structlog  # noqa: PLC0415 - see StructuredFormatter

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def logging_config(
    *, log_format: str, level: str, refusal_filter: Callable[[logging.LogRecord], bool]
) -> dict[str, Any]:
    """Django's LOGGING: one console handler writing every record through structlog.

    `refusal_filter` drops the traceback of ordinary 403/404 answers. Requests are logged at
    INFO by django-structlog whatever LOG_LEVEL says (one line per request, the access log with
    request id, user and partner), and so are the jobs' lines; LOG_LEVEL governs the rest.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "refusal_without_traceback": {
                "()": "django.utils.log.CallbackFilter",
                "callback": refusal_filter,
            },
            "secret_paths_redacted": {
                "()": "django.utils.log.CallbackFilter",
                "callback": secret_paths_redacted,
            },
        },
        "formatters": {
            "structured": {
                "()": "channeldesk.core.logging.StructuredFormatter",
                "log_format": log_format,
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["refusal_without_traceback"],
                "formatter": "structured",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The job worker (`run_huey`) adds a handler of its own to a "huey" logger without
            # one; with this one its lines are written once, not again through the root logger.
            "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django_structlog": {"level": "INFO"},
            "channeldesk.jobs": {"level": "INFO"},
            # Django names the path of a refused or failed request ("Not Found: /x"): a link's
            # secret is redacted before any handler, Sentry's included, sees the line.
            "django.request": {"filters": ["secret_paths_redacted"]},
            "django.security.csrf": {"filters": ["secret_paths_redacted"]},
        },
    }


class StructuredFormatter(logging.Formatter):
    """structlog's ProcessorFormatter, built when the first line is written.

    Importing structlog (and the rich library its console renderer uses) costs a tenth of a
    second, which every command would pay at start-up for a formatter most never use."""

    def __init__(self, log_format: str = "console") -> None:
        super().__init__()
        self.log_format = log_format
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            self._formatter = _processor_formatter(self.log_format)
        return self._formatter.format(record)


def _processor_formatter(log_format: str) -> logging.Formatter:
    import structlog  # noqa: PLC0415 - see StructuredFormatter

    structlog_configure()
    if log_format == "json":
        processors: list[Any] = [
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors = [
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *processors],
    )


_CONFIGURED: list[bool] = []


def structlog_configure() -> None:
    """structlog hands its events to the standard library, whose handler renders them. Called
    by every module that logs through structlog before its first line (once per process)."""
    if _CONFIGURED:
        return
    import structlog  # noqa: PLC0415 - see StructuredFormatter

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _CONFIGURED.append(True)


# What Sentry may collect (sentry-sdk 3 replaced `send_default_pii=False` by these switches, and
# collects the user by default): no user (id, name, address), no cookies, no request bodies, no
# local variables or SQL parameters of the failing frames (they may hold personal data or
# secrets); headers and query parameters only with sentry's denylist of sensitive names removed.
SENTRY_DATA: dict[str, Any] = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_bodies": [],
    "stack_frame_variables": False,
    "database_query_data": False,
}


def sentry_configure(*, dsn: str, environment: str, **options: Any) -> None:
    """Errors (unhandled exceptions, ERROR log lines) go to Sentry; without personal data:
    no cookies, no user's address or name, no request bodies. 403 and 404 are answers, not
    errors, and never reach it; nor do forged Host headers from scanners."""
    import sentry_sdk  # noqa: PLC0415 - only when a DSN is set
    from sentry_sdk.integrations.logging import ignore_logger  # noqa: PLC0415

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        data_collection=SENTRY_DATA,  # type: ignore[arg-type]
        **options,
    )
    ignore_logger("django.security.DisallowedHost")


# --- Secrets in paths -----------------------------------------------------------------------


def path_redacted(path: str) -> str:
    """`path` with the values of its secret URL arguments replaced (`/accounts/invitation/
    [redacted]/`); unchanged when it matches no URL pattern or has no secret."""
    from django.urls import Resolver404, resolve  # noqa: PLC0415 - after Django's set-up

    try:
        match = resolve(path)
    except Resolver404:
        return path
    for name, value in match.kwargs.items():
        if name in SECRET_URL_ARGUMENTS and value:
            path = path.replace(str(value), REDACTED)
    return path


def secret_paths_redacted(record: logging.LogRecord) -> bool:
    """A logging filter for Django's request loggers: the message ("Not Found: /accounts/
    invitation/<token>/") and the request it carries lose the link's secret."""
    request = getattr(record, "request", None)
    path = getattr(request, "path", None)
    if isinstance(path, str):
        redacted = path_redacted(path)
        if redacted != path:
            record.msg = record.getMessage().replace(path, redacted)
            record.args = ()
            record.request = f"{getattr(request, 'method', '')} {redacted}"
    return True
