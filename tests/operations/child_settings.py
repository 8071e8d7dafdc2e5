"""Settings of the processes the fault tests start: production settings from the environment,
with an outbox lease short enough that a claim lost with the database runs out while the test
waits (the default 300 s would hold such messages five minutes)."""

from channeldesk.settings import *  # noqa: F403

OUTBOX_LEASE_SECONDS = 6
OUTBOX_POLL_SECONDS = 0.2
