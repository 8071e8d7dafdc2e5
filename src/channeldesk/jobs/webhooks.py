"""The webhook job (imported by tasks.py, which holds the other schedules).

A thin trigger around `webhooks_dispatch`, an idempotent sweep over due deliveries: a lost run
is caught up by the next one, a repeated one finds nothing more. Its CLI twin is
`channeldesk webhooks dispatch`; `webhooks dispatch --loop` as a process of its own sends
within seconds instead of within the minute (docs/webhooks.md).
"""

from huey.contrib.djhuey import db_periodic_task

from channeldesk.jobs.schedules import schedule
from channeldesk.notifications.leases import DispatchResult
from channeldesk.webhooks.dispatch import webhooks_dispatch


@db_periodic_task(schedule(minute="*"))
def webhooks_minutely_dispatch() -> DispatchResult:
    """Send the webhook deliveries that are due: new ones, and retries whose wait is over."""
    return webhooks_dispatch()
