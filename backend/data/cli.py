"""`moteforge upload` and `moteforge export`: a dataset in and out of a running studio over its HTTP API.

Uploads go through the Edge Impulse-compatible ingestion API with the configured key, one file per
request from a few threads, so a large folder shows steady progress and one bad file stops nothing.
"""

from __future__ import annotations

import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.client import Client, fail
from backend.cli.main import app, console

UPLOADABLE = {".csv", ".json", ".cbor", ".wav", ".jpg", ".jpeg", ".png", ".zip"}
CATEGORIES = ("training", "testing", "anomaly", "split")


def collect_files(paths: list[Path]) -> tuple[list[Path], int]:
    """Files to upload (folders searched recursively, hidden entries skipped) and how many were skipped."""
    found: list[Path] = []
    skipped = 0
    for path in paths:
        if not path.exists():
            raise fail(f"{path} does not exist")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in candidates:
            hidden = (
                any(part.startswith(".") for part in p.relative_to(path).parts) if path.is_dir() else False
            )
            if hidden or p.suffix.lower() not in UPLOADABLE:
                skipped += 1
            else:
                found.append(p)
    return found, skipped


def _check_project(client: Client, project: str | None) -> None:
    """The ingestion API stores into the key's project; refuse a --project the key does not reach."""
    if project is not None:
        client.project_id(project)


def _upload_one(
    http: httpx.Client, path: Path, category: str, headers: dict[str, str]
) -> tuple[Path, int, str | None, int]:
    try:
        with open(path, "rb") as fh:
            resp = http.post(f"/api/{category}/files", files=[("data", (path.name, fh))], headers=headers)
    except httpx.HTTPError as exc:
        return path, 0, f"request failed: {exc}", 0
    try:
        body = resp.json()
    except ValueError:
        return path, resp.status_code, resp.text[:200], 0
    stored = sum(1 for f in body.get("files", []) if f.get("success"))
    if resp.status_code != 200 or not body.get("success"):
        return path, resp.status_code, str(body.get("error", resp.text[:200])), stored
    errors = [f["error"] for f in body.get("files", []) if not f.get("success")]
    return path, resp.status_code, "; ".join(errors) or None, stored


@app.command()
def upload(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    label: Annotated[
        str | None, typer.Option(help="Label for every file (default: file name up to the first dot).")
    ] = None,
    category: Annotated[
        str, typer.Option(help="training, testing, anomaly or split (80/20 by content).")
    ] = "split",
    project: Annotated[
        str | None, typer.Option(help="Project name or id (must be the key's project).")
    ] = None,
    no_label: Annotated[bool, typer.Option("--no-label", help="Store the samples unlabeled.")] = False,
    allow_duplicates: Annotated[
        bool,
        typer.Option(
            "--allow-duplicates/--disallow-duplicates", help="Accept recordings already in the project."
        ),
    ] = True,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Parallel uploads.")] = 4,
) -> None:
    """Upload sensor files to the project of the configured API key, with a progress bar."""
    if category not in CATEGORIES:
        raise fail(f"--category must be one of {', '.join(CATEGORIES)}")
    client = Client()
    _check_project(client, project)
    files, skipped = collect_files(paths)
    if not files:
        raise fail("no uploadable files found (csv, json, cbor, wav, jpg, png, zip)")
    headers: dict[str, str] = {}
    if label:
        headers["x-label"] = urllib.parse.quote(label, safe="")
    if no_label:
        headers["x-no-label"] = "1"
    if not allow_duplicates:
        headers["x-disallow-duplicates"] = "1"
    failures: list[tuple[Path, str]] = []
    stored = 0
    columns = (TextColumn("[bold]uploading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar, ThreadPoolExecutor(jobs) as pool:
        task = bar.add_task("upload", total=len(files))
        for path, _status, error, n in pool.map(
            lambda p: _upload_one(client.http, p, category, headers), files
        ):
            stored += n
            if error:
                failures.append((path, error))
                # The server's message starts with the file name; show the full path instead.
                reason = error.removeprefix(f"{path.name}: ")
                bar.console.print(f"[red]✗[/] {escape(f'{path}: {reason}')}", soft_wrap=True, highlight=False)
            bar.advance(task)
    console.print(
        f"{stored} samples stored from {len(files) - len(failures)} of {len(files)} files"
        + (f"; {skipped} skipped (not a data file)" if skipped else "")
    )
    if failures:
        raise typer.Exit(1)


@app.command("export")
def export_dataset(
    output: Annotated[Path, typer.Option("-o", "--output", help="Zip file to write.")] = Path("dataset.zip"),
    project: Annotated[str | None, typer.Option(help="Project name or id.")] = None,
) -> None:
    """Download the project's dataset as a zip in Edge Impulse's format (with info.labels)."""
    client = Client()
    pid = client.project_id(project)
    tmp = output.with_name(output.name + ".part")
    try:
        with client.http.stream("GET", f"/api/projects/{pid}/samples/export") as resp:
            if resp.status_code != 200:
                resp.read()
                raise fail(f"{resp.status_code} {resp.text[:200]}")
            with open(tmp, "wb") as out:
                for chunk in resp.iter_bytes(1 << 20):
                    out.write(chunk)
    except httpx.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"cannot reach {client.url}: {exc}") from exc
    tmp.replace(output)
    console.print(f"wrote {output} ({output.stat().st_size} bytes)")
