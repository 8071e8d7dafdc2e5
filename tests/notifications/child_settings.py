"""Settings of the dispatcher processes that the tests start and kill.

A short lease lets a killed dispatcher's claim run out while the test waits; a short poll lets
`outbox dispatch --loop` notice new messages at once.
"""

import faulthandler
import signal

from channeldesk.settings import *  # noqa: F403

# A dispatcher that will not stop is asked for its stacks (SIGUSR1) before the test kills it.
faulthandler.register(signal.SIGUSR1, all_threads=True)

OUTBOX_LEASE_SECONDS = 3
OUTBOX_POLL_SECONDS = 0.1
