"""The one domain error type: what each domain's refusal carries, and how the admin and the
back office show it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.base import SessionBase
from django.test import RequestFactory

from channeldesk.contracts.reminders.selectors import ReminderNotFound
from channeldesk.contracts.reminders.services import ReminderError
from channeldesk.contracts.selectors import NoPartnerAssigned
from channeldesk.contracts.services import ContractError
from channeldesk.core.admin import action_refusals
from channeldesk.core.errors import Conflict, DomainError, NotFound, domain_error_message
from channeldesk.core.tokens import ServiceTokenError
from channeldesk.feedback.services import FeedbackError
from channeldesk.licensing.certificates import TokenInvalid
from channeldesk.licensing.keycodes import KeycodeFormatError
from channeldesk.licensing.services import LicensingError
from channeldesk.portal.accounts import ColleagueError
from channeldesk.pricing.selectors import NoTierInForce
from channeldesk.tiers.hotlines import CallerNumberInvalid
from channeldesk.tiers.selectors import PolicyNotFound
from channeldesk.tiers.services import TierError
from channeldesk.training.services import TrainingError
from channeldesk.usage.services import UsageError


def test_a_domain_error_is_not_a_value_error() -> None:
    # A ValueError from a bug must stay a 500; a refusal must never be caught as one.
    assert not issubclass(DomainError, ValueError)
    assert (DomainError("No.").status_code, DomainError("No.").code) == (400, "invalid")


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (TrainingError("No such record."), 400, "training_refused"),
        (FeedbackError("Not open.", code="not_open_for_feedback"), 409, "not_open_for_feedback"),
        (UsageError("Closed.", code="month_closed"), 400, "month_closed"),
        (KeycodeFormatError("Mistyped.", reason="typo"), 400, "keycode_malformed"),
        (LicensingError("Ended.", code="contract_ended"), 409, "contract_ended"),
        (TokenInvalid("not base64url"), 400, "token_invalid"),
        (TierError("Draft."), 409, "tier_rule_violated"),
        (PolicyNotFound("No policy."), 404, "policy_not_found"),
        (CallerNumberInvalid("'x' is no number."), 400, "invalid"),
        (ReminderError("Sent already."), 409, "reminder_refused"),
        (ReminderNotFound("No reminder."), 404, "reminder_not_found"),
        (ContractError("Cancelled.", code="not_active"), 409, "not_active"),
        (NoPartnerAssigned("Nobody."), 409, "no_quote"),
        (NoTierInForce("No tier."), 409, "no_quote"),
        (ServiceTokenError("Inactive.", code="user_inactive"), 400, "user_inactive"),
        (ColleagueError("Yourself.", code="self"), 400, "self"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_every_domains_refusal_carries_its_status_and_code(
    refusal: DomainError, status: int, code: str
) -> None:
    assert isinstance(refusal, DomainError)
    assert (refusal.status_code, refusal.code) == (status, code)
    assert str(refusal) == refusal.message == domain_error_message(refusal)


def test_not_found_and_conflict_have_their_statuses() -> None:
    assert (NotFound("Gone.").status_code, Conflict("Moved on.").status_code) == (404, 409)
    assert Conflict("Moved on.", code="stale", status=412).as_dict() == {
        "code": "stale",
        "message": "Moved on.",
        "details": [],
    }


def test_a_tier_refusal_that_waits_names_its_first_day_as_a_detail() -> None:
    refusal = TierError(
        "The period has not ended.",
        code="evaluation_period_not_ended",
        available_from=dt.date(2027, 1, 1),
    )

    assert refusal.details == [
        {
            "field": "available_from",
            "message": "2027-01-01",
            "code": "evaluation_period_not_ended",
        }
    ]


def test_a_bad_caller_number_is_a_problem_of_the_caller_field() -> None:
    assert CallerNumberInvalid("'x' is no number.").details == [
        {"field": "caller", "message": "'x' is no number."}
    ]


def _request() -> Any:
    request = RequestFactory().post("/admin/")
    request.session = SessionBase()
    request._messages = FallbackStorage(request)
    return request


def test_an_actions_refusal_is_flashed_and_the_action_goes_on() -> None:
    request = _request()
    done: list[str] = []

    for item in ("first", "refused", "third"):
        with action_refusals(request):
            if item == "refused":
                raise ContractError("The contract is cancelled.", code="not_active")
            done.append(item)

    assert done == ["first", "third"]
    assert [str(message) for message in get_messages(request)] == ["The contract is cancelled."]


def test_a_bug_in_an_action_is_not_swallowed() -> None:
    request = _request()

    with pytest.raises(ValueError, match="bug"), action_refusals(request):
        raise ValueError("bug")

    assert list(get_messages(request)) == []
