"""CLI commands: `moteforge deploy` (a verified bundle from a running studio), `moteforge boards list` and
`moteforge verify bundle.zip` (local: the signature and every file's hash)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from backend.cli.client import Client, fail
from backend.cli.main import app, watch_job

boards_app = typer.Typer(help="The boards Moteforge deploys to.")
app.add_typer(boards_app, name="boards")


def _save_bundle(client: Client, project_id: int, deployment_id: int, out: Path) -> int:
    """Stream the verified zip to ``out`` (through a temporary file, so a broken transfer leaves nothing)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    path = f"/api/projects/{project_id}/deployments/{deployment_id}/download"
    try:
        with client.http.stream("GET", path) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise fail(
                    f"{resp.status_code} {resp.json().get('error', {}).get('message', resp.text[:200])}"
                )
            with partial.open("wb") as fh:
                for chunk in resp.iter_bytes():
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise fail(f"download failed: {exc}") from exc
    partial.replace(out)
    return out.stat().st_size


@app.command()
def deploy(
    board: Annotated[str, typer.Option(help="Board id (see `moteforge boards list`).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the bundle zip.")],
    project: Annotated[
        str | None, typer.Option(help="Project name or id (default: the key's project).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Bundle kind (default: the board's first).")] = None,
    model: Annotated[int | None, typer.Option(help="Model id (default: the newest ready one).")] = None,
) -> None:
    """Build the impulse for a board, wait until the bundle is verified on the test samples, download it."""
    client = Client()
    pid = client.project_id(project)
    deployment = client.post(
        f"/api/projects/{pid}/deployments", json={"board_id": board, "kind": kind, "model_id": model}
    )
    if deployment["status"] == "building":
        typer.echo(f"building bundle {deployment['id']} (job {deployment['job_id']})", err=True)
        job = watch_job(client, pid, deployment["job_id"])
        if job["status"] != "succeeded":
            raise fail(job.get("error") or f"job {job['id']} {job['status']}")
        deployment = client.get(f"/api/projects/{pid}/deployments/{deployment['id']}")
    else:
        typer.echo(f"reusing the identical verified bundle {deployment['id']}", err=True)
    if deployment["status"] != "ready":
        raise fail(deployment.get("error") or f"bundle {deployment['id']} is {deployment['status']}")
    size = _save_bundle(client, pid, deployment["id"], output)
    typer.echo(
        f"{output}: {deployment['kind']} bundle for {deployment['board_id']}, model v{deployment['model_version']}, "
        f"{size} bytes, sha256 {deployment['bundle_sha256']}"
    )


@boards_app.command("list")
def boards_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the boards as JSON.")] = False,
) -> None:
    """The board registry: id, core, clock, memory, bundle kinds and whether bundles are emulated."""
    boards = Client().get("/api/boards")["data"]
    if as_json:
        typer.echo(json.dumps(boards, indent=2))
        return
    for b in boards:
        clock = f"{b['clock_hz'] / 1e6:.0f} MHz" if b["clock_hz"] else "-"
        emulated = b["emulator"] or "not emulated"
        typer.echo(
            f"{b['id']:<28} {b['core']:<14} {clock:>9}  flash {b['flash_bytes'] // 1024:>8} KB  "
            f"RAM {b['ram_bytes'] // 1024:>8} KB  {','.join(b['kinds']):<30} {emulated}"
        )


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="A bundle zip from `moteforge deploy` or the studio.")],
    public_key: Annotated[
        str | None, typer.Option(help="The project's deploy public key (hex): also check who signed it.")
    ] = None,
) -> None:
    """Check the bundle's Ed25519 signature and every file's sha256; exit 1 naming what was tampered with."""
    from firmware.deploy.verify import verify_bundle

    if not bundle.is_file():
        raise fail(f"{bundle}: no such file")
    report = verify_bundle(bundle, public_key=public_key)
    if not report.ok:
        raise fail(f"{bundle} is not as Moteforge signed it: " + "; ".join(report.problems))
    typer.echo(f"{bundle}: signature and every file's sha256 check out")
