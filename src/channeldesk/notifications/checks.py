"""Send-time checks: the enqueuing domain's last word on whether a queued message is still wanted.

The outbox knows addresses and texts, not why a message exists; the domains above it do. A
domain registers a check for the categories it enqueues (a plain dict registry, filled from
its `AppConfig.ready`), and the dispatcher asks it once per claimed batch, in the transaction
that marks the first messages `sending`: the messages the check names are dismissed with its
reason instead of being sent. A reminder's e-mail about a contract that was renewed while the
e-mail waited for a retry is the case in point.

A check receives the claimed messages of its categories and returns `{message id: reason}` for
those that are moot. It runs inside the dispatcher's transaction, so it may also record the
withdrawal in its own rows (the reminder becomes cancelled); both commit with the dismissal or
not at all. It must not raise for a message it does not know.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from channeldesk.notifications.models import OutboxMessage

type SendCheck = Callable[[Sequence[OutboxMessage], dt.datetime], Mapping[int, str]]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check and the category prefix it answers for (`reminder:` covers `reminder:…`)."""

    category_prefix: str
    check: SendCheck


SEND_CHECKS: dict[str, RegisteredCheck] = {}


def send_check_register(*, category_prefix: str, check: SendCheck) -> None:
    """Register (or replace) the check for messages whose category starts with the prefix."""
    if not category_prefix:
        raise ValueError("A send check needs a category prefix; it would see every message.")
    SEND_CHECKS[category_prefix] = RegisteredCheck(category_prefix=category_prefix, check=check)


def send_checks_run(*, messages: Sequence[OutboxMessage], now: dt.datetime) -> dict[int, str]:
    """The reasons of every registered check that finds one of `messages` moot, by message id.

    Each check is called once with all the messages of its categories; messages no check
    covers are never moot.
    """
    covered: dict[str, list[OutboxMessage]] = defaultdict(list)
    for message in messages:
        registered = _check_for(message.category)
        if registered is not None:
            covered[registered.category_prefix].append(message)
    moot: dict[int, str] = {}
    for prefix, group in covered.items():
        moot.update(SEND_CHECKS[prefix].check(group, now))
    return moot


def _check_for(category: str) -> RegisteredCheck | None:
    """The check with the longest prefix of `category`, if any."""
    matching = [check for prefix, check in SEND_CHECKS.items() if category.startswith(prefix)]
    return max(matching, key=lambda check: len(check.category_prefix), default=None)
