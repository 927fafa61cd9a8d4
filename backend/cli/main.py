"""Entry point of the `moteforge` console script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.client import Client, fail, load_config, save_config

app = typer.Typer(help="Moteforge: a self-hostable TinyML studio.", no_args_is_help=True)
users_app = typer.Typer(help="Administer accounts on the configured database.")
projects_app = typer.Typer(help="Projects.")
keys_app = typer.Typer(help="Project API keys (admin, on the configured database).")
jobs_app = typer.Typer(help="Jobs of a running studio.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(users_app, name="users")
app.add_typer(projects_app, name="projects")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(db_app, name="db")
console = Console()


def _mount_optional(module: str, name: str, help_: str) -> None:
    try:
        sub = __import__(module, fromlist=["app"]).app
    except ImportError:
        return
    app.add_typer(sub, name=name, help=help_)


_mount_optional("firmware.cli", "firmware", "Compile .tflite models to C and run them on emulated boards.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    from backend.core.migrate import upgrade_db

    upgrade_db()
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Create the demo account and project if missing.")] = False,
    worker: Annotated[
        bool | None, typer.Option(help="Start a Celery worker alongside (default: settings).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Web server processes (scaled mode on more cores).")] = 1,
) -> None:
    """Run the studio: migrations, a Celery worker (embedded default) and the web server."""
    import uvicorn

    from backend.core.config import get_settings
    from backend.core.db import session_scope
    from backend.core.migrate import upgrade_db

    settings = get_settings()
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_db()
    if demo:
        from backend.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

        with console.status("Preparing the demo project…"), session_scope() as s:
            project = seed_demo(s)
        console.print(
            f"Demo project #{project.id}: sign in as [bold]{DEMO_EMAIL}[/] / [bold]{DEMO_PASSWORD}[/]"
        )
    proc = start_worker() if (settings.embedded_worker if worker is None else worker) else None
    try:
        console.print(
            f"Moteforge studio on [bold]http://{host}:{port}[/] (data in {settings.resolved_data_dir})"
        )
        uvicorn.run(
            "backend.app:create_app", factory=True, host=host, port=port, log_level="info", workers=workers
        )
    finally:
        if proc is not None:
            stop_worker(proc)


def start_worker(concurrency: int | None = None) -> subprocess.Popen[bytes]:
    from backend.core.config import get_settings

    settings = get_settings()
    cmd = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker",
        "--loglevel=INFO", f"--concurrency={concurrency or settings.worker_concurrency}",
        "--hostname=embedded@%h", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return subprocess.Popen(cmd, env=worker_env())


def worker_env() -> dict[str, str]:
    """Each worker process runs one job at a time; BLAS thread pools fighting over the cores only slow it."""
    env = os.environ.copy()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def stop_worker(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@app.command()
def login(
    key: Annotated[str, typer.Option(help="A project API key.")],
    url: Annotated[str, typer.Option(help="Address of the studio.")] = "http://127.0.0.1:8000",
) -> None:
    """Save the studio address and an API key for later commands."""
    import httpx

    try:
        resp = httpx.get(f"{url.rstrip('/')}/api/projects", headers={"x-api-key": key}, timeout=15)
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach {url}: {exc}") from exc
    if resp.status_code != 200:
        raise fail(f"the studio refused the key ({resp.status_code})")
    path = save_config(url, key)
    names = ", ".join(p["name"] for p in resp.json()["data"])
    typer.echo(f"saved to {path}; this key reaches: {names}")


@app.command("config")
def show_config() -> None:
    """Show where the CLI points (the key is masked)."""
    cfg = load_config()
    key = cfg.get("api_key")
    typer.echo(f"url: {cfg['url']}\napi key: {key[:10] + '…' if key else '(none)'}")


@projects_app.command("list")
def projects_list() -> None:
    """Projects the configured API key can see."""
    for p in Client().get("/api/projects")["data"]:
        typer.echo(f"{p['id']:>5}  {p['name']}  ({p['role']})")


@projects_app.command("create")
def projects_create(
    name: str, owner: Annotated[str, typer.Option(help="Email of the owning user.")], description: str = ""
) -> None:
    """Create a project owned by a user (admin, on the configured database)."""
    from backend.auth import service as auth
    from backend.core.db import session_scope
    from backend.core.principal import Principal
    from backend.projects import service

    with session_scope() as s:
        user = auth.get_by_email(s, owner)
        if user is None:
            raise fail(f"no user {owner}")
        project = service.create(s, Principal(user=user), name, description)
        typer.echo(f"created project {project.id} {project.name!r}")


@users_app.command("create")
def users_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: str = "",
    superuser: bool = False,
) -> None:
    """Create an account."""
    from backend.auth import service as auth
    from backend.core.db import session_scope
    from backend.core.errors import DomainError
    from backend.core.migrate import upgrade_db

    upgrade_db()
    try:
        with session_scope() as s:
            user = auth.create_user(s, email, password, name, superuser=superuser)
            typer.echo(f"created user {user.id} {user.email}")
    except DomainError as exc:
        raise fail(exc.message) from exc


@keys_app.command("create")
def keys_create(
    project: Annotated[str, typer.Option(help="Project name or id.")],
    name: str = "CLI key",
    role: str = "member",
) -> None:
    """Create a project API key and print it (it is not shown again)."""
    from backend.core.db import session_scope
    from backend.core.errors import DomainError
    from backend.core.principal import Principal
    from backend.projects import service
    from backend.projects.permissions import Role

    try:
        with session_scope() as s:
            p = service.by_name(s, project)
            ctx = service.ProjectContext(project=p, role=Role.owner, principal=Principal())
            _, raw = service.create_api_key(s, ctx, name, Role(role))
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(raw)


def watch_job(client: Client, project_id: int, job_id: int) -> dict:
    """Follow a job with a progress bar and its log lines; returns the final job."""
    seq = 0
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                  TimeElapsedColumn(), console=console) as bar:  # fmt: skip
        task = bar.add_task(f"job {job_id}", total=100)
        while True:
            job = client.get(f"/api/projects/{project_id}/jobs/{job_id}", params={"log_after": seq})
            for line in job["logs"]:
                bar.console.print(f"[dim]{line['at'][11:19]}[/] {line['line']}")
                seq = line["seq"]
            bar.update(task, completed=job["progress"], description=f"job {job_id} {job['status']}")
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            time.sleep(0.5)


@jobs_app.command("watch")
def jobs_watch(
    job_id: int, project: Annotated[str | None, typer.Option(help="Project name or id.")] = None
) -> None:
    """Follow a job until it finishes; exit status 1 if it failed or was cancelled."""
    client = Client()
    job = watch_job(client, client.project_id(project), job_id)
    if job["status"] != "succeeded":
        raise fail(job.get("error") or job["status"])


@jobs_app.command("start")
def jobs_start(type: str, project: Annotated[str | None, typer.Option()] = None, wait: bool = True) -> None:
    """Start a job by type (for example project-stats)."""
    client = Client()
    pid = client.project_id(project)
    job = client.post(f"/api/projects/{pid}/jobs", json={"type": type, "params": {}})
    typer.echo(f"started job {job['id']}")
    if wait:
        job = watch_job(client, pid, job["id"])
        if job["status"] != "succeeded":
            raise fail(job.get("error") or job["status"])


def _load_domain_commands() -> None:
    """Domains add their commands (upload, train, deploy, ...) by importing `app` from here."""
    import importlib

    from backend.domains import CLI_MODULES

    for module in CLI_MODULES:
        importlib.import_module(module)


_load_domain_commands()

if __name__ == "__main__":
    app()
