"""Admin rows of the training domain for tests/admin (the courses come from the migrations)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from channeldesk.training.models import Enrollment
from tests.personas import Personas
from tests.training.factories import record

READ_ONLY_MODELS: set[type[Model]] = {Enrollment}


def admin_rows(personas: Personas) -> None:
    record(personas.partner_a, session_date=dt.date(2025, 9, 1))
