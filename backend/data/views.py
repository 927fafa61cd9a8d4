"""Data acquisition pages: the explorer with bulk actions and summary, the upload box, the CSV wizard, a
sample's page (plot, player, edits) and the phone/laptop capture page. Uploads go to the JSON API."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.errors import InvalidInput
from backend.core.htmx import redirect, refresh
from backend.core.templates import register_nav, render
from backend.data import formats, service
from backend.data.models import CATEGORIES, Sample
from backend.data.upload import receive_multipart
from backend.projects import service as projects
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext

router = APIRouter(include_in_schema=False)
register_nav("data", "Data acquisition", "/projects/{id}/data", order=10)

PAGE_SIZE = 50
PLOT_POINTS = 2000
BULK_ACTIONS = ("relabel", "move", "enable", "disable", "delete")
NO_UNITS = "N/A"  # what CSV axes carry: nothing worth showing
CATEGORY_COLORS = {"training": "#2563eb", "testing": "#f59e0b", "anomaly": "#a855f7"}


# Figures --------------------------------------------------------------------------------------------


def _figure(fig: go.Figure) -> dict[str, Any]:
    # Through JSON so numpy arrays become plain lists the template can embed.
    return json.loads(fig.to_json())


def summary_figure(summary: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars: samples per label, one colour per category."""
    names = [row["label"] if row["label"] is not None else "(no label)" for row in summary["labels"]]
    fig = go.Figure()
    for category in CATEGORIES:
        counts = [row[category]["count"] for row in summary["labels"]]
        if any(counts):
            fig.add_trace(
                go.Bar(x=names, y=counts, name=category, marker={"color": CATEGORY_COLORS[category]})
            )
    fig.update_layout(
        barmode="stack",
        height=260,
        margin={"t": 10, "b": 40, "l": 40, "r": 10},
        yaxis={"title": {"text": "Samples"}},
        legend={"orientation": "h"},
    )
    return _figure(fig)


def signal_figure(values: dict[str, Any], title: str) -> dict[str, Any]:
    """One line per axis over time in ms (already downsampled by the service)."""
    fig = go.Figure()
    for axis in values["axes"]:
        units = axis["units"]
        name = f"{axis['name']} ({units})" if units and units != NO_UNITS else axis["name"]
        fig.add_trace(go.Scattergl(x=values["t_ms"], y=axis["values"], mode="lines", name=name))
    fig.update_layout(
        title={"text": title},
        height=360,
        margin={"t": 40, "b": 40, "l": 50, "r": 10},
        xaxis={"title": {"text": "Time (ms)"}},
        legend={"orientation": "h"},
    )
    return _figure(fig)


def csv_preview_figure(preview: formats.CsvPreview) -> dict[str, Any] | None:
    """The preview rows of the chosen axes, against the timestamp column or the row number."""
    columns = preview.columns
    mapping = preview.mapping
    axes = mapping.axes or [c for c in columns if c not in (mapping.timestamp_column, mapping.label_column)]
    picked = [c for c in axes if c in columns]
    if not picked or not preview.rows:
        return None
    step = preview.interval_ms or 1.0
    fig = go.Figure()
    for name in picked:
        i = columns.index(name)
        ys = [_number(row[i]) if i < len(row) else None for row in preview.rows]
        xs = [round(n * step, 3) for n in range(len(preview.rows))]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name))
    fig.update_layout(
        height=280,
        margin={"t": 10, "b": 40, "l": 50, "r": 10},
        xaxis={"title": {"text": "Time (ms)" if preview.interval_ms else "Row"}},
        legend={"orientation": "h"},
    )
    return _figure(fig)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def wav_bytes(values: np.ndarray, interval_ms: float) -> bytes:
    """16-bit PCM WAV of audio values in [-1, 1], so the browser's player can play any audio sample
    (also ones that arrived as JSON/CBOR or were cropped since)."""
    rate = max(1, int(round(1000.0 / interval_ms))) if interval_ms > 0 else 16000
    pcm = (np.clip(values, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(pcm.shape[1] if pcm.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buf.getvalue()


# Explorer -------------------------------------------------------------------------------------------


def _base(ctx: ProjectContext) -> dict[str, Any]:
    """What every data page and partial needs: the project, the role and the active tab."""
    return {"ctx": ctx, "project": ctx.project, "active_nav": "data", "Action": Action}


def _filters(request: Request) -> tuple[service.SampleFilter, dict[str, str]]:
    """The explorer's filters from the query string, and the same values to refill the form."""
    q = request.query_params
    raw = {k: q.get(k, "") for k in ("label", "category", "sensor", "enabled", "q")}
    enabled = {"true": True, "false": False}.get(raw["enabled"])
    label: str | None = raw["label"] or None
    if raw["label"] == "(none)":
        label = service.UNLABELED
    category = raw["category"] if raw["category"] in CATEGORIES else None
    filters = service.SampleFilter(
        label=label,
        category=category,
        sensor=raw["sensor"] or None,
        enabled=enabled,
        search=raw["q"].strip() or None,
    )
    return filters, raw


def _table_context(session: Session, ctx: ProjectContext, request: Request) -> dict[str, Any]:
    filters, raw = _filters(request)
    after = request.query_params.get("after_id", "")
    after_id = int(after) if after.isdigit() else None
    samples, count = service.list_(session, ctx, filters, limit=PAGE_SIZE, after_id=after_id)
    query = urlencode({k: v for k, v in raw.items() if v})
    return {
        "samples": samples,
        "count": count,
        "after_id": after_id,
        "next_after_id": samples[-1].id if len(samples) == PAGE_SIZE else None,
        "filter_values": raw,
        "filter_query": query,
        "filtered": any(raw.values()),
    }


def _explorer_context(session: Session, ctx: ProjectContext, request: Request) -> dict[str, Any]:
    table = _table_context(session, ctx, request)
    upload = _upload_context(session, ctx, request)
    return {
        **_base(ctx),
        # The summary is loaded by its own request: it scans every sample, the table page does not.
        "has_data": table["filtered"] or table["after_id"] is not None or table["count"] > 0,
        "labels": upload["known_labels"],
        "categories": CATEGORIES,
        **upload,
        **table,
    }


def _upload_context(session: Session, ctx: ProjectContext, request: Request) -> dict[str, Any]:
    keys = [k for k in projects.list_api_keys(session, ctx) if not k.revoked] if ctx.can(Action.write) else []
    return {
        "server_url": str(request.base_url).rstrip("/"),
        "key_prefixes": [k.prefix for k in keys],
        "known_labels": service.labels(session, ctx),
    }


@router.get("/projects/{project_id}/data")
def explorer_page(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    return render(request, "data/explorer.html", _explorer_context(session, ctx, request))


@router.get("/projects/{project_id}/data/summary")
def explorer_summary(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    summary = service.summary(session, ctx)
    context = {
        **_base(ctx),
        "summary": summary,
        "summary_figure": summary_figure(summary) if summary["total"] else None,
        "sensor_names": sorted({s["name"] for group in summary["sensors"] for s in group["sensors"]}),
    }
    return render(request, "data/_summary.html", context)


@router.get("/projects/{project_id}/data/table")
def explorer_table(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    context = {**_base(ctx), **_table_context(session, ctx, request)}
    return render(request, "data/_table.html", context)


def _ids(form: FormData) -> list[int]:
    ids = [int(v) for v in form.getlist("ids") if str(v).isdigit()]
    if not ids:
        raise InvalidInput("Select at least one sample.", field="ids")
    return ids


@router.post("/projects/{project_id}/data/bulk")
async def bulk_action(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    try:
        if action not in BULK_ACTIONS:
            raise InvalidInput("Choose an action.", field="action")
        ids = _ids(form)
        if action == "relabel":
            label = str(form.get("label") or "").strip()
            if not label:
                raise InvalidInput("Give the new label.", field="label")
            service.relabel(session, ctx, ids, label)
        elif action == "move":
            service.move(session, ctx, ids, str(form.get("category") or ""))
        elif action == "enable":
            service.enable(session, ctx, ids)
        elif action == "disable":
            service.disable(session, ctx, ids)
        else:
            service.delete(session, ctx, ids)
    except InvalidInput as exc:
        return render(request, "data/_bulk_error.html", {"error": exc.message, "field": exc.field}, 422)
    return refresh(request)


@router.post("/projects/{project_id}/data/rebalance")
def rebalance(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    service.rebalance(session, ctx)
    return refresh(request)


# Upload, CSV wizard, capture ------------------------------------------------------------------------


@router.get("/projects/{project_id}/data/upload")
def upload_page(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    context = {
        **_base(ctx),
        "csv_mapping": service.get_csv_mapping(session, ctx.project.id),
        **_upload_context(session, ctx, request),
    }
    return render(request, "data/upload.html", context)


def _mapping_from_form(
    get: Callable[[str], str | None], getlist: Callable[[str], list[str]]
) -> formats.CsvMapping:
    """The wizard's fields as a mapping; blank fields mean "detect". Raises InvalidInput per field."""
    frequency = (get("frequency_hz") or "").strip()
    freq: float | None = None
    if frequency:
        try:
            freq = float(frequency)
        except ValueError:
            raise InvalidInput("Give the frequency as a number of Hz.", field="frequency_hz") from None
        if not freq > 0:
            raise InvalidInput("The frequency must be above 0 Hz.", field="frequency_hz")
    timestamp = get("timestamp_column") or None
    unit = get("timestamp_unit") or None
    if unit not in (None, "ms", "s"):
        raise InvalidInput("The time unit is ms or s.", field="timestamp_unit")
    axes = [a for a in getlist("axes") if a]
    return formats.CsvMapping(
        timestamp_column=None if timestamp == "(none)" else timestamp,
        timestamp_unit=unit,
        frequency_hz=freq,
        axes=axes or None,
        label_column=get("label_column") or None,
        delimiter=None,
    )


@router.post("/projects/{project_id}/data/csv-wizard")
async def csv_wizard(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    """Preview a CSV with the wizard's choices; with `save`, also keep them for the next uploads."""
    errors: dict[str, str] = {}
    async with receive_multipart(request) as form:
        if len(form.files) != 1:
            return render(
                request, "data/_csv_preview.html", {"errors": {"file": "Choose one CSV file."}}, 422
            )
        fresh = form.value("fresh") == "1"
        mapping = None
        if not fresh:
            try:
                mapping = _mapping_from_form(form.value, lambda k: form.fields.get(k, []))
            except InvalidInput as exc:
                errors[exc.field or "_form"] = exc.message
        preview = await run_in_threadpool(service.preview_csv, form.files[0].path, mapping)
        filename = form.files[0].filename
        # "No timestamp column" stays chosen while the frequency is still to be typed.
        no_timestamp = not fresh and form.value("timestamp_column") == "(none)"
    saved = False
    if form.value("save") == "1" and not errors:
        if preview.problems:
            errors["_form"] = "Fix the problems listed before saving this mapping."
        else:
            service.save_csv_mapping(session, ctx, preview.mapping)
            saved = True
    context = {
        "project": ctx.project,
        "preview": preview,
        "filename": filename,
        "figure": csv_preview_figure(preview),
        "errors": errors,
        "saved": saved,
        "no_timestamp": no_timestamp,
    }
    return render(request, "data/_csv_preview.html", context, 422 if errors else 200)


@router.get("/projects/{project_id}/data/capture")
def capture_page(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    context = {
        **_base(ctx),
        "known_labels": service.labels(session, ctx),
        "secure_hint": request.url.scheme != "https"
        and request.url.hostname not in ("127.0.0.1", "localhost"),
    }
    return render(request, "data/capture.html", context)


# One sample -----------------------------------------------------------------------------------------


def _sample_context(
    session: Session, ctx: ProjectContext, sample: Sample, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    figure = None
    plotted: dict[str, Any] = {}
    if sample.kind != "image":
        plotted = service.plot_values(sample, PLOT_POINTS)
        figure = signal_figure(plotted, sample.name)
    return {
        **_base(ctx),
        "sample": sample,
        "figure": figure,
        "downsampled": plotted.get("downsampled", False),
        "categories": CATEGORIES,
        "known_labels": service.labels(session, ctx),
        "no_units": NO_UNITS,
        "errors": errors or {},
    }


@router.get("/projects/{project_id}/data/{sample_id}")
def sample_page(request: Request, sample_id: int, ctx: CanRead, session: SessionDep) -> Response:
    sample = service.get_or_raise(session, ctx, sample_id)
    return render(request, "data/sample.html", _sample_context(session, ctx, sample))


@router.get("/projects/{project_id}/data/{sample_id}/audio.wav")
def sample_audio(sample_id: int, ctx: CanRead, session: SessionDep) -> Response:
    sample = service.get_or_raise(session, ctx, sample_id)
    if sample.kind != "audio":
        raise InvalidInput("Only audio samples can be played.")
    data = wav_bytes(service.load_values(sample), sample.interval_ms)
    return Response(data, media_type="audio/wav", headers={"Cache-Control": "private, max-age=60"})


def _metadata_from_form(form: FormData, current: dict[str, Any]) -> dict[str, Any]:
    """Key/value rows as a dict. Values arrive as text; a value left as shown keeps its original type
    (split and crop record numbers and lists there, which must not turn into strings)."""
    keys, values = form.getlist("meta_key"), form.getlist("meta_value")
    metadata: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=False):
        name = str(key).strip()
        if not name:
            continue
        if name in metadata:
            raise InvalidInput(f"The key {name!r} appears twice.", field="metadata")
        old = current.get(name)
        unchanged = old is not None and not isinstance(old, str) and json.dumps(old) == str(value)
        metadata[name] = old if unchanged else str(value)
    return metadata


def _float(form: FormData, field: str, label: str, *, optional: bool = False) -> float | None:
    text = str(form.get(field) or "").strip()
    if not text and optional:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"Give the {label} in ms.", field=field) from None


@router.post("/projects/{project_id}/data/{sample_id}/edit")
async def edit_sample(request: Request, sample_id: int, ctx: CanWrite, session: SessionDep) -> Response:
    """Every edit form on the sample page posts here with its `action`; errors come back next to the
    field, success reloads the page (or goes to the explorer after a delete or split)."""
    sample = service.get_or_raise(session, ctx, sample_id)
    form = await request.form()
    action = str(form.get("action") or "")
    back = f"/projects/{ctx.project.id}/data"
    try:
        if action == "rename":
            service.rename(session, ctx, sample, str(form.get("name") or ""))
        elif action == "relabel":
            label = str(form.get("label") or "").strip()
            service.relabel(session, ctx, [sample.id], label or None)
        elif action == "move":
            service.move(session, ctx, [sample.id], str(form.get("category") or ""))
        elif action in ("enable", "disable"):
            (service.enable if action == "enable" else service.disable)(session, ctx, [sample.id])
        elif action == "metadata":
            service.update_metadata(session, ctx, sample, _metadata_from_form(form, sample.meta))
        elif action == "crop":
            start = _float(form, "start_ms", "start")
            end = _float(form, "end_ms", "end")
            service.crop(session, ctx, sample, start or 0.0, end or 0.0)
        elif action == "split":
            window = _float(form, "window_ms", "window length")
            stride = _float(form, "stride_ms", "stride", optional=True)
            created = service.split_windows(session, ctx, sample, window or 0.0, stride)
            return redirect(request, f"{back}?q={sample.name}.w&split={len(created)}")
        elif action == "delete":
            service.delete(session, ctx, [sample.id])
            return redirect(request, back)
        else:
            raise InvalidInput("Unknown action.", field="action")
    except InvalidInput as exc:
        errors = {f"{action}.{exc.field}" if exc.field else action: exc.message}
        return render(request, "data/_edit.html", _sample_context(session, ctx, sample, errors), 422)
    return redirect(request, f"{back}/{sample.id}")
