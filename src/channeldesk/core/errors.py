"""The one domain error type.

A service refuses what the business rules do not allow by raising `DomainError` (or a domain's
subclass of it): a message a person can act on, a machine-readable `code` and the HTTP status an
API answers with. Every face maps it in one place:

- the API: `api/errors.py` `exception_handler` answers `{"error": {"code", "message",
  "details"}}` with `status`;
- the CLI: `commands/console.py` `ChannelDeskCommand` turns it into a `CommandError` (exit 1);
- the admin and the back office: `domain_error_message` gives the text for the flash message.

It is deliberately **not** a `ValueError`: a programming bug (a `ValueError`, `KeyError` or
`TypeError` from deep inside) must stay a 500 and a traceback, never become a 400 that blames the
caller.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal by a business rule: `code` (snake_case, stable), `status` (4xx), `details`
    (field- or row-level problems, each a dict with at least `message`)."""

    code: str = "invalid"
    status: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status_code: int = status if status is not None else type(self).status
        self.details: list[dict[str, Any]] = list(details or [])

    def as_dict(self) -> dict[str, Any]:
        """The API's error body (without the outer `error` key)."""
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the one asking)."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request contradicts the stored state (a duplicate key, a state that moved on)."""

    code = "conflict"
    status = 409


def domain_error_message(error: DomainError) -> str:
    """The text a person sees for a refusal in the admin or the back office."""
    return error.message
