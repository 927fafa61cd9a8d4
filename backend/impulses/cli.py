"""`moteforge impulse ...`: design an impulse and generate its features on a running studio (REST API)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from backend.cli.client import Client, fail
from backend.cli.main import app, watch_job

impulse_app = typer.Typer(help="Impulse design of a running studio.", no_args_is_help=True)
app.add_typer(impulse_app, name="impulse")

DSP_CHOICES = ("raw", "flatten", "spectral", "mfcc", "mfe", "spectrogram", "image")
# "anomaly" is the short name of the K-means block, the usual first choice.
LEARN_CHOICES = {
    "classifier": "classifier",
    "regression": "regression",
    "anomaly": "anomaly-kmeans",
    "anomaly-kmeans": "anomaly-kmeans",
    "anomaly-gmm": "anomaly-gmm",
}


def apply_options(
    design: dict[str, Any],
    *,
    window_ms: float | None = None,
    stride_ms: float | None = None,
    frequency: float | None = None,
    dsp: str | None = None,
    learn: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The suggested ``design`` with the options the user set replacing its values."""
    out = json.loads(json.dumps(design))
    block = out["input_block"]
    for key, value in (("window_ms", window_ms), ("stride_ms", stride_ms), ("frequency_hz", frequency)):
        if value is not None:
            block[key] = value
    if name:
        out["name"] = name
    if dsp is not None:
        if dsp not in DSP_CHOICES:
            raise fail(f"--dsp must be one of {', '.join(DSP_CHOICES)}")
        out["dsp_blocks"] = [{"id": "dsp1", "type": dsp, "params": {}}]
        for learn_block in out["learn_blocks"]:
            learn_block["inputs"] = ["dsp1"]
    if learn is not None:
        if learn not in LEARN_CHOICES:
            raise fail(f"--learn must be one of {', '.join(LEARN_CHOICES)}")
        inputs = [b["id"] for b in out["dsp_blocks"]]
        out["learn_blocks"] = [{"id": "learn1", "type": LEARN_CHOICES[learn], "params": {}, "inputs": inputs}]
    return out


def describe(impulse: dict[str, Any]) -> str:
    """One paragraph a person can read: version, input, blocks and classes."""
    block = impulse["input_block"]
    if block["type"] == "image":
        source = f"image {block['width']}x{block['height']} ({block['resize_mode']}, {block['color_depth']})"
    else:
        source = (
            f"{block['type']} window {block['window_ms']} ms, increase {block['stride_ms']} ms, "
            f"{block['frequency_hz']} Hz, axes {', '.join(block['axes'])}"
        )
    dsp = ", ".join(f"{b['id']}={b['type']}" for b in impulse["dsp_blocks"])
    learn = ", ".join(f"{b['id']}={b['type']}({'+'.join(b['inputs'])})" for b in impulse["learn_blocks"])
    labels = ", ".join(impulse["labels"]) or "none"
    return (
        f"impulse {impulse['id']} v{impulse['version']} {impulse['name']!r}\n"
        f"  input: {source}\n  processing: {dsp}\n  learning: {learn}\n  classes: {labels}"
    )


@impulse_app.command("create")
def create(
    project: Annotated[str | None, typer.Option(help="Project name or id.")] = None,
    window_ms: Annotated[float | None, typer.Option(help="Window size in ms.")] = None,
    stride_ms: Annotated[float | None, typer.Option(help="Window increase in ms.")] = None,
    frequency: Annotated[float | None, typer.Option(help="Frequency in Hz (samples are resampled).")] = None,
    dsp: Annotated[str | None, typer.Option(help=f"Processing block: {'|'.join(DSP_CHOICES)}.")] = None,
    learn: Annotated[str | None, typer.Option(help="Learning block: classifier|regression|anomaly.")] = None,
    name: Annotated[str | None, typer.Option(help="Impulse name.")] = None,
) -> None:
    """Save an impulse: the studio's suggestion for the project's data, with the options given replacing it."""
    client = Client()
    pid = client.project_id(project)
    suggestion = client.get(f"/api/projects/{pid}/impulse/suggestion")
    design = apply_options(
        suggestion,
        window_ms=window_ms,
        stride_ms=stride_ms,
        frequency=frequency,
        dsp=dsp,
        learn=learn,
        name=name,
    )
    impulse = client.request("PUT", f"/api/projects/{pid}/impulse", json=design)
    typer.echo(describe(impulse))


@impulse_app.command("show")
def show(project: Annotated[str | None, typer.Option(help="Project name or id.")] = None) -> None:
    """Print the project's current impulse."""
    client = Client()
    typer.echo(describe(client.get(f"/api/projects/{client.project_id(project)}/impulse")))


@impulse_app.command("generate-features")
def generate_features(
    project: Annotated[str | None, typer.Option(help="Project name or id.")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job until it finishes.")] = True,
) -> None:
    """Generate the current impulse's features (and the explorer) as a job."""
    client = Client()
    pid = client.project_id(project)
    job = client.post(f"/api/projects/{pid}/impulse/generate-features")
    typer.echo(f"started job {job['id']}")
    if wait:
        job = watch_job(client, pid, job["id"])
        if job["status"] != "succeeded":
            raise fail(job.get("error") or job["status"])
        training = job["result"].get("training", {})
        typer.echo(f"training: {training.get('windows')} windows x {training.get('features')} features")
