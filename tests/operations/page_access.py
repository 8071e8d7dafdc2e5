"""Page access rows of the probes and /metrics: the same answer for everyone, signed in or not
(the probes answer before sessions, the second factor and host checks; /metrics is opened by
its token or networks only, never by a login, and does not exist while neither is set)."""

from __future__ import annotations

from tests.portal.page_table import PageCase, answers

PAGES: dict[str, list[PageCase]] = {
    "healthz": [PageCase("the process answers", answers(200))],
    "readyz": [PageCase("database, cache, job queue, storage, migrations", answers(200))],
    "metrics": [PageCase("no token and no networks configured", answers(404))],
}
