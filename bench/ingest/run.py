"""Ingestion throughput: small CSV samples through the Edge Impulse-compatible API from parallel clients.

Run: ``python bench/ingest/run.py [--count 10000] [--clients 8] [--backends sqlite,postgres]``. Each run
starts ``moteforge serve`` on a free loopback port with a fresh data dir (the embedded SQLite default, then
a scratch PostgreSQL database when one is reachable), creates a project and key, and posts one 20-row,
3-axis CSV per request. Prints samples/s and p50/p99 request latency; asserts nothing. Server CPU is user
plus system time, so it includes the kernel's work for each blob's fsync, and stays comparable when other
work loads the machine (the wall figures do not).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def csv_body(i: int) -> bytes:
    """20 rows of 3 axes at 10 ms; the values depend on i so no two samples are duplicates."""
    t = np.arange(20) * 10
    v = (np.arange(60).reshape(20, 3) + i * 0.001).round(4)
    lines = ["timestamp,accX,accY,accZ"] + [f"{t[r]},{v[r, 0]},{v[r, 1]},{v[r, 2]}" for r in range(20)]
    return ("\n".join(lines) + "\n").encode()


def prepare(env: dict[str, str]) -> str:
    """Migrate the database and create a user, a project and an API key; returns the key."""
    code = (
        "from backend.core.migrate import upgrade_db; upgrade_db()\n"
        "from backend.core.db import session_scope\n"
        "from backend.core.principal import Principal\n"
        "from backend.auth import service as auth\n"
        "from backend.projects import service as projects\n"
        "from backend.projects.permissions import Role\n"
        "with session_scope() as s:\n"
        "    u = auth.create_user(s, 'bench@example.com', 'bench password 123', 'Bench')\n"
        "    p = projects.create(s, Principal(user=u), 'Ingestion benchmark')\n"
        "    ctx = projects.ProjectContext(project=p, role=Role.owner, principal=Principal(user=u))\n"
        "    print(projects.create_api_key(s, ctx, 'bench')[1])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return out.stdout.strip().splitlines()[-1]


def start_server(env: dict[str, str], port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    """`moteforge serve` (one process); with workers > 1, uvicorn's own process manager on the same app."""
    cmd = [sys.executable, "-m", "backend.cli.main", "serve", "--port", str(port), "--no-worker"]
    if workers > 1:
        cmd = [
            sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning",
        ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def request_bytes(port: int, key: str, i: int, body: bytes) -> bytes:
    """One complete HTTP/1.1 request as Edge Impulse's clients send it: multipart, the file in `data`."""
    boundary = f"moteforge-bench-{i:08d}"
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="walk.{i}.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST /api/training/files HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def read_response(reader: asyncio.StreamReader) -> int:
    """The status of one keep-alive response; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def hammer(url: str, key: str, count: int, clients: int) -> tuple[float, list[float], int]:
    """Post `count` samples from `clients` concurrent keep-alive connections; returns wall time, latencies
    and failures. The requests are built beforehand and sent over plain sockets, so the client spends
    next to no CPU on the machine the server shares (an HTTP library costs about as much as the server)."""
    port = int(url.rsplit(":", 1)[1])
    latencies: list[float] = []
    failures = 0
    next_i = 0
    requests = [request_bytes(port, key, i, csv_body(i)) for i in range(count)]

    async def client() -> None:
        nonlocal next_i, failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_i < count:
                i = next_i
                next_i += 1
                start = time.perf_counter()
                writer.write(requests[i])
                status = await read_response(reader)
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    failures += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies, failures


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc), for load-independent figures."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def run_backend(backend: str, count: int, clients: int, workers: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="moteforge-bench-"))
    env = {**os.environ, "MOTEFORGE_DATA_DIR": str(data_dir), "MOTEFORGE_ENV": "development"}
    env.pop("MOTEFORGE_DATABASE_URL", None)
    db_name = f"moteforge_bench_{os.getpid()}"
    admin = None
    if backend == "postgres":
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
            c.execute(text(f'CREATE DATABASE "{db_name}"'))
        env["MOTEFORGE_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
    port = free_port()
    proc = None
    try:
        key = prepare(env)
        proc = start_server(env, port, data_dir / "server.log", workers)
        url = f"http://127.0.0.1:{port}"
        asyncio.run(hammer(url, key, min(200, count), clients))  # warm-up: imports, caches, connections
        cpu_before = cpu_seconds(proc.pid)
        wall, latencies, failures = asyncio.run(hammer(url, key, count, clients))
        cpu_ms = (cpu_seconds(proc.pid) - cpu_before) * 1000 / count
        ms = np.asarray(latencies) * 1000
        print(
            f"{backend:9s} {workers} proc  {count:6d} samples  {clients} clients  {count / wall:5.0f} samples/s  "
            f"p50 {np.percentile(ms, 50):6.1f} ms  p99 {np.percentile(ms, 99):6.1f} ms  "
            f"server CPU {cpu_ms:5.2f} ms/sample  failures {failures}  (load average {os.getloadavg()[0]:.1f})"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        shutil.rmtree(data_dir, ignore_errors=True)
        if admin is not None:
            from sqlalchemy import text

            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2", help="Server processes to try, comma-separated.")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "postgres" and not pg_reachable():
            print("postgres  skipped: nothing listening on 127.0.0.1:5432")
            continue
        for workers in (int(w) for w in args.workers.split(",")):
            run_backend(backend, args.count, args.clients, workers)


if __name__ == "__main__":
    main()
