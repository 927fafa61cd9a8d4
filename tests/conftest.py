"""Test set-up shared by every package: an isolated data dir and database per test process.

The environment is fixed here, before any backend module reads its settings. Legs:
MOTEFORGE_TEST_DB=sqlite|postgres and MOTEFORGE_TEST_BROKER=filesystem|redis (defaults: the embedded ones).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
_root = Path(tempfile.mkdtemp(prefix=f"moteforge-test-{_worker}-"))
TEST_DB = os.environ.get("MOTEFORGE_TEST_DB", "sqlite")
TEST_BROKER = os.environ.get("MOTEFORGE_TEST_BROKER", "filesystem")
PG_ADMIN_URL = os.environ.get("MOTEFORGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MOTEFORGE_TEST_REDIS", "redis://127.0.0.1:6379")
PG_DB_NAME = f"moteforge_test_{os.getpid()}"
# One Redis database per xdist worker so parallel legs don't share a queue.
_REDIS_DB = 15 if _worker == "main" else 10 + int(_worker.removeprefix("gw")) % 5

os.environ.update(
    {
        "MOTEFORGE_ENV": "test",
        "MOTEFORGE_DATA_DIR": str(_root / "data"),
        "MOTEFORGE_JOB_HEARTBEAT_TIMEOUT_S": "6",
        "MOTEFORGE_REAPER_INTERVAL_S": "1",
        "MOTEFORGE_EXTRA_JOB_MODULES": '["tests.support.jobs"]',
        # A queue of its own per test process: parallel runs sharing one Redis never take each other's jobs.
        "MOTEFORGE_TASK_QUEUE": f"moteforge-test-{os.getpid()}",
    }
)
if TEST_DB == "postgres":
    os.environ["MOTEFORGE_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB_NAME
else:
    os.environ.pop("MOTEFORGE_DATABASE_URL", None)
if TEST_BROKER == "redis":
    os.environ["MOTEFORGE_BROKER_URL"] = f"{REDIS_URL}/{_REDIS_DB}"
else:
    os.environ.pop("MOTEFORGE_BROKER_URL", None)

pytest_plugins = ["tests.support.fixtures"]
