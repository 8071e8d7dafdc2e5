"""Settings of the webhook dispatcher processes that the tests start and kill.

A short lease lets a killed dispatcher's claim run out while the test waits, a short poll lets
`webhooks dispatch --loop` notice new deliveries at once, a fast retry schedule retries within
the test, and the receiver is on loopback.
"""

import faulthandler
import signal

from channeldesk.settings import *  # noqa: F403

# A dispatcher that will not stop is asked for its stacks (SIGUSR1) before the test kills it.
faulthandler.register(signal.SIGUSR1, all_threads=True)

WEBHOOKS_LEASE_SECONDS = 3
WEBHOOKS_POLL_SECONDS = 0.1
WEBHOOKS_RETRY_SCHEDULE_SECONDS = [0.3, 0.3, 0.3]
WEBHOOKS_RETRY_JITTER = 0.0
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
WEBHOOKS_READ_TIMEOUT_SECONDS = 5
