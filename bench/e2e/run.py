"""Upload → trained int8 model → verified bundle on the demo dataset (BasicMotions), with the embedded
default (SQLite, filesystem blobs and broker, one Celery worker process), timed per stage.

Then prints the demo model's RAM, flash and latency per window on every board. Emulator and helper caches
start empty (a first deployment's cost) unless --warm-cache is given.

    python bench/e2e/run.py [--board generic-cortex-m4f] [--kind K] [--epochs N] [--warm-cache]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _wait(job_id: int, timeout: float = 900) -> Any:
    from backend.core.db import session_scope
    from backend.jobs.models import FINISHED, Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope() as s:
            job = s.get(Job, job_id)
            if job is not None and job.status in FINISHED:
                if job.status != "succeeded":
                    raise SystemExit(f"job {job_id} ({job.type}) {job.status}: {job.error}")
                return dict(job.result or {})
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} did not finish in {timeout:.0f} s")


def _stage(name: str, times: dict[str, float], fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = fn()
    times[name] = time.perf_counter() - started
    print(f"{name:<34} {times[name]:7.1f} s", flush=True)
    return value


def _quiet_worker(start: Callable[[], Any], log_path: str) -> Any:
    """Start the worker with its banner and task log going to a file, not between the figures."""
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            return start()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _kb(n: int) -> str:
    return f"{n / 1024:8.1f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="generic-cortex-m4f", help="board of the bundle")
    parser.add_argument("--kind", default=None, help="bundle kind (default: the board's first)")
    parser.add_argument("--epochs", type=int, default=None, help="override the learning block's epochs")
    parser.add_argument("--warm-cache", action="store_true", help="keep the user's emulator/helper cache")
    args = parser.parse_args()
    # Settings are read once, at first use: point them at scratch folders before importing the app.
    os.environ["MOTEFORGE_DATA_DIR"] = tempfile.mkdtemp(prefix="moteforge-bench-e2e-")
    os.environ.setdefault("MOTEFORGE_ENV", "development")
    if not args.warm_cache:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="moteforge-bench-cache-")

    from backend import models as _models  # noqa: F401 - every table in the metadata
    from backend.auth import service as auth
    from backend.cli.main import start_worker, stop_worker
    from backend.core.config import get_settings
    from backend.core.db import session_scope
    from backend.core.migrate import upgrade_db
    from backend.core.principal import Principal
    from backend.data.demo import seed_basic_motions
    from backend.deploy import service as deploy
    from backend.impulses import service as impulses
    from backend.projects import service as projects
    from backend.projects.permissions import Action
    from backend.training import service as training
    from backend.training.models import TrainedModel

    upgrade_db()
    get_settings().broker_folder.mkdir(parents=True, exist_ok=True)
    worker_log = str(get_settings().resolved_data_dir / "worker.log")
    worker = _quiet_worker(lambda: start_worker(concurrency=1), worker_log)
    print(f"worker log: {worker_log}")
    times: dict[str, float] = {}
    try:
        with session_scope() as s:
            user = auth.create_user(s, "bench@moteforge.dev", "bench-password-123", "Bench")
            project = projects.create(s, Principal(user=user), "BasicMotions e2e bench")
            uid, pid = user.id, project.id

        def context(s: Any) -> Any:
            return projects.get_context(s, Principal(user=s.get(type(user), uid)), pid, Action.write)

        def upload() -> None:
            with session_scope() as s:
                seed_basic_motions(s, context(s).project)

        def design() -> None:
            with session_scope() as s:
                ctx = context(s)
                impulse = impulses.save(s, ctx, impulses.suggest(s, ctx))
                print(f"  impulse: {impulse.input_block} {[b['type'] for b in impulse.dsp_blocks]}")

        def train() -> dict[str, Any]:
            with session_scope() as s:
                overrides = {"epochs": args.epochs} if args.epochs else {}
                job_id = training.start_training(s, context(s), overrides).id
            return _wait(job_id)

        def build() -> dict[str, Any]:
            with session_scope() as s:
                deployment = deploy.start_build(s, context(s), args.board, args.kind)
                job_id = deployment.job_id
            return _wait(job_id)

        _stage("upload (80 recordings, ingested)", times, upload)
        _stage("impulse (suggested design saved)", times, design)
        trained = _stage("train (job: features, fit, int8)", times, train)
        print(f"  int8 validation accuracy {trained.get('int8_accuracy', float('nan')):.2%}")
        built = _stage(f"deploy (job: build + verify, {args.board})", times, build)
        print(f"  bundle {built['kind']}: {built['size_bytes']} bytes, sha256 {built['bundle_sha256'][:16]}…")
        total = sum(times.values())
        print(f"{'total upload → verified bundle':<34} {total:7.1f} s  (goal: under 180 s on 2 cores)")

        started = time.perf_counter()
        with session_scope() as s:
            ctx = context(s)
            model = s.query(TrainedModel).filter_by(project_id=pid).order_by(TrainedModel.id.desc()).first()
            job = deploy.measure_estimates(s, ctx, model).job  # the estimates job, as the deploy page
            model_id, job_id = model.id, job.id if job is not None else None
        if job_id is not None:
            _wait(job_id)
        with session_scope() as s:
            model = s.get(TrainedModel, model_id)
            table = deploy.estimates(s, context(s), model).table
        print(f"\nDemo model v{model.version} per board ({time.perf_counter() - started:.1f} s to measure):")
        print(f"{'board':<28} {'RAM':>11} {'flash':>11} {'latency':>11}  {'instructions':>12}  fits")
        for board_id, e in table.items():
            latency = f"{e['latency_ms']:8.3f} ms" if e["latency_ms"] is not None else f"{'-':>11}"
            count = f"{e['instructions']:>12}" if e["instructions"] is not None else f"{'-':>12}"
            fits = "yes" if e["fits"] else "NO: " + "; ".join(e["reasons"])
            note = f"  ({e['error'][:70]})" if e.get("error") else ""
            print(
                f"{board_id:<28} {_kb(e['ram_bytes'])}  {_kb(e['flash_bytes'])} {latency}  {count}  {fits}{note}"
            )
    finally:
        stop_worker(worker)


if __name__ == "__main__":
    main()
