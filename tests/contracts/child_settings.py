"""Settings of the reminder dispatcher processes that the tests start and kill.

A short lease lets a killed dispatcher's claim run out while the test waits; a short poll lets
`reminders dispatch --loop` notice new reminders at once.
"""

from channeldesk.settings import *  # noqa: F403

REMINDERS_LEASE_SECONDS = 8
REMINDERS_POLL_SECONDS = 0.1
