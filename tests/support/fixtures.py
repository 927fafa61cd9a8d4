"""Shared fixtures: the migrated database, a clean slate per test, an HTTP client, a real Celery worker,
a live server for the browser, and Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import PG_ADMIN_URL, PG_DB_NAME, REDIS_URL, TEST_BROKER, TEST_DB


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def database() -> Iterator[None]:
    """Create (PostgreSQL: a fresh database) and migrate once per test process; drop it at the end."""
    if TEST_DB == "postgres":
        if not _reachable("127.0.0.1", 5432):
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}"'))
            c.execute(text(f'CREATE DATABASE "{PG_DB_NAME}"'))
    if TEST_BROKER == "redis" and not _reachable("127.0.0.1", 6379):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    from backend.core.migrate import upgrade_db

    upgrade_db()
    yield
    from backend.core.db import get_engine

    get_engine().dispose()
    if TEST_DB == "postgres":
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all() -> None:
    from backend.core.db import Base, get_engine

    engine = get_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def db(database: None) -> Iterator[None]:
    """A clean database for one test (tables emptied afterwards; works across processes)."""
    yield
    _truncate_all()


@pytest.fixture
def session(db: None) -> Iterator[Session]:
    from backend.core.db import get_sessionmaker

    s = get_sessionmaker()()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


class ApiClient:
    """A TestClient that keeps cookies and sends the CSRF header like the studio's pages do."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        client.get("/healthz")  # obtain the csrf cookie

    def _headers(self, kw: dict) -> dict:
        headers = dict(kw.pop("headers", None) or {})
        if token := self.client.cookies.get("mf_csrf"):
            headers.setdefault("x-csrf-token", token)
        return headers

    def request(self, method: str, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.request(method, url, headers=self._headers(kw), **kw)

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.request("DELETE", url, **kw)

    def sign_in(self, email: str, password: str) -> None:
        resp = self.post("/api/auth/signin", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text


@pytest.fixture(scope="session")
def app(database: None):  # type: ignore[no-untyped-def]
    from backend.app import create_app

    return create_app()


@pytest.fixture
def client(app, db: None) -> Iterator[ApiClient]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield ApiClient(c)


@pytest.fixture
def anon_http(app, db: None):  # type: ignore[no-untyped-def]
    """A bare TestClient (no cookies, no CSRF header), as an API script would be."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def _start_worker(log_path: Path) -> subprocess.Popen[bytes]:
    from backend.cli.main import worker_env

    env = worker_env()
    cmd = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker",
        "--loglevel=INFO", "--concurrency=1", "--pool=prefork", f"--hostname=test-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log = open(log_path, "ab")  # noqa: SIM115 - the worker process owns it until it exits
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
    deadline = time.time() + 60
    while time.time() < deadline:
        if b" ready." in log_path.read_bytes():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("celery worker did not become ready in 60 s")


class WorkerHandle:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.n = 0
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.n += 1
        self.log = self.log_dir / f"worker-{self.n}.log"
        return _start_worker(self.log)

    def restart(self) -> None:
        self.stop()
        self.proc = self._start()

    def kill_children(self) -> list[int]:
        """SIGKILL the pool processes (what the OOM killer does mid-job)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in out:
            os.kill(int(pid), 9)
        return [int(p) for p in out]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def celery_worker(database: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerHandle]:
    """A real Celery worker process on the leg's broker (filesystem or Redis) and database."""
    handle = WorkerHandle(tmp_path_factory.mktemp("worker"))
    yield handle
    handle.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app, celery_worker: WorkerHandle) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The studio served by uvicorn in a thread, with a real worker behind it."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
