"""CLI commands against a running studio: `moteforge train`, `moteforge test`, `moteforge classify`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.cli.client import Client, fail
from backend.cli.main import app, watch_job

FINISHED = ("succeeded", "failed", "cancelled")
ProjectOption = Annotated[str | None, typer.Option(help="Project name or id (default: the key's project).")]


def _wait(client: Client, project_id: int, job_id: int, quiet: bool) -> dict[str, Any]:
    """Follow a job to its end (with a progress bar unless quiet); fail with its reason if it did not succeed."""
    if quiet:
        while True:
            job = client.get(f"/api/projects/{project_id}/jobs/{job_id}", params={"log_after": 10**9})
            if job["status"] in FINISHED:
                break
            time.sleep(0.3)
    else:
        job = watch_job(client, project_id, job_id)
    if job["status"] != "succeeded":
        raise fail(job.get("error") or f"job {job_id} {job['status']}")
    return job


@app.command()
def train(
    project: ProjectOption = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Adam learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Samples per step.")] = None,
    architecture: Annotated[str | None, typer.Option(help="dense, conv1d, conv2d or custom.")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job and print the accuracies.")] = False,
) -> None:
    """Train the impulse's learning block; with --wait, report float32 and int8 validation figures."""
    client = Client()
    pid = client.project_id(project)
    given = {
        "epochs": epochs,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "architecture": architecture,
    }
    settings = {k: v for k, v in given.items() if v is not None}
    job = client.post(f"/api/projects/{pid}/training", json={"settings": settings})
    typer.echo(f"started training job {job['id']}")
    if not wait:
        return
    result = _wait(client, pid, job["id"], quiet=False)["result"]
    typer.echo(f"model v{result['version']} (id {result['model_id']})")
    for kind in ("float32", "int8"):
        if f"{kind}_accuracy" in result:
            typer.echo(f"{kind} validation accuracy: {result[f'{kind}_accuracy']:.2%}")
        if f"{kind}_mae" in result:
            typer.echo(
                f"{kind} validation MAE {result[f'{kind}_mae']:.4g}, RMSE {result[f'{kind}_rmse']:.4g}, "
                f"R² {result[f'{kind}_r2']:.3f}"
            )


@app.command("test")
def test_model(
    project: ProjectOption = None,
    model: Annotated[int | None, typer.Option(help="Model id (default: the newest ready one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Classify the testing data with the int8 model (as the device would) and report the metrics."""
    client = Client()
    pid = client.project_id(project)
    job = client.post(f"/api/projects/{pid}/testing", json={"model_id": model})
    result = _wait(client, pid, job["id"], quiet=as_json)["result"]
    test = client.get(f"/api/projects/{pid}/testing/{result['test_id']}")
    metrics = test["metrics"]
    if metrics.get("task") == "regression":
        _print_regression_test(test, as_json)
        return
    summary = {
        "model_id": test["model_id"],
        "dtype": metrics.get("dtype"),
        "accuracy": metrics["accuracy"],
        "windows": metrics.get("windows"),
        "samples": metrics.get("samples"),
        "samples_correct": metrics.get("samples_correct"),
        "per_class": metrics.get("per_class", {}),
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(
        f"test set accuracy ({summary['dtype']}): {summary['accuracy']:.2%} over {summary['windows']} "
        f"windows, {summary['samples_correct']}/{summary['samples']} samples right"
    )
    for name, c in summary["per_class"].items():
        typer.echo(f"  {name:<20} precision {c['precision']:.3f}  recall {c['recall']:.3f}  f1 {c['f1']:.3f}")


def _print_regression_test(test: dict[str, Any], as_json: bool) -> None:
    """A regression test's MAE, RMSE and R², and each sample's actual and predicted value."""
    metrics = test["metrics"]
    summary = {
        "model_id": test["model_id"],
        "task": "regression",
        "dtype": metrics.get("dtype"),
        **{name: metrics[name] for name in ("mae", "rmse", "r2", "windows", "samples")},
        "rows": [
            {"sample": r["sample_name"], "actual": r["actual"], "predicted": r["predicted"]}
            for r in test.get("rows") or []
        ],
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(
        f"test set ({summary['dtype']}): MAE {summary['mae']:.4g}, RMSE {summary['rmse']:.4g}, "
        f"R² {summary['r2']:.3f} over {summary['windows']} windows of {summary['samples']} samples"
    )
    for r in summary["rows"]:
        typer.echo(f"  {r['sample']:<30} actual {r['actual']:<10g} predicted {r['predicted']:g}")


@app.command()
def classify(
    files: Annotated[
        list[Path], typer.Argument(help="Recordings to classify (CSV, JSON/CBOR, WAV, images).")
    ],
    project: ProjectOption = None,
    model: Annotated[int | None, typer.Option(help="Model id (default: the newest ready one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Classify each file: overall label and scores (a regression: the mean value), and each window's."""
    client = Client()
    pid = client.project_id(project)
    results = []
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
        with path.open("rb") as fh:
            data = {"model_id": str(model)} if model else {}
            job = client.post(
                f"/api/projects/{pid}/classify/upload", files={"file": (path.name, fh)}, data=data
            )
        result = _wait(client, pid, job["id"], quiet=True)["result"]
        shown = (
            {"value": result["value"]}
            if result.get("task") == "regression"
            else {"label": result["label"], "scores": result["scores"]}
        )
        results.append(
            {"file": str(path), **shown, "windows": result["windows"], "model_id": result["model_id"]}
        )
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    for r in results:
        if "value" in r:
            typer.echo(f"{r['file']}: {r['value']:g} ({len(r['windows'])} windows; mean of their values)")
            continue
        scores = ", ".join(f"{name} {s:.2f}" for name, s in r["scores"].items())
        typer.echo(f"{r['file']}: {r['label']} ({len(r['windows'])} windows; {scores})")
