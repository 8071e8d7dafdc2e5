"""What every process start (a `channeldesk` command, the web and job workers, a bare
`django.setup()`) is spared; see benchmarks/cli_start.py.

huey's storage module, loaded by its Django app at every start, imports the Redis client and the
PostgreSQL driver whenever they are installed, for storages this configuration may not use: the
Redis client (about 0.07 s) only serves `huey.RedisHuey` (`HUEY_REDIS_URL`), and huey's
PostgreSQL storage (about 0.1 s for psycopg) is never used, the queue is huey's SQLite or Redis
storage. `settings.py` calls `huey_storage_import` right after it chose the queue.
"""

from __future__ import annotations

import sys


def huey_storage_import(*, redis_queue: bool) -> None:
    """Import `huey.storage` with the clients it is not to get hidden from it.

    Hidden, huey records the client as missing for that storage alone; the modules stay
    importable for everyone else (Django imports psycopg as usual when it connects to
    PostgreSQL, the cache imports redis when CACHE_URL says redis://). Does nothing when huey's
    storage is loaded already; a client loaded already (a process that imported it first) is
    left to huey.
    """
    unused = ("psycopg",) if redis_queue else ("psycopg", "redis")
    hidden = [name for name in unused if name not in sys.modules]
    if "huey.storage" in sys.modules or not hidden:
        return
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` fails at once
    try:
        import huey.storage  # noqa: F401, PLC0415 - the point: imported with the clients hidden
    finally:
        for name in hidden:
            del sys.modules[name]
