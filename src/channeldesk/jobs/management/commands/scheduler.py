"""`channeldesk scheduler`: the job consumer that also enqueues the periodic tasks.

Run exactly one per installation (docs/processes.md). A second one started by mistake does no
harm: it finds the scheduler lease held, runs queued tasks like a worker and stands by for the
periodic ones, taking over when the first one stops or dies.
"""

from __future__ import annotations

from channeldesk.jobs.management.commands.worker import Command as WorkerCommand


class Command(WorkerCommand):
    """`channeldesk worker` that enqueues the periodic tasks too (while it holds the lease)."""

    help = "Run the job scheduler: the periodic tasks (one per installation) and queued tasks."
    periodic = True
