"""Demo data of the training domain, loaded by `channeldesk demo load` after the contracts.

Idempotent like the rest of the demo: a second load adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from channeldesk.commands.demo.population import DemoPlan


def demo_training_load(*, plan: DemoPlan, write: Callable[[str], None]) -> None:
    """Load the training demo data for the plan; `write` reports a line to the console."""
