"""What the training and testing pages show about a model or a test: tables and Plotly figures.

The figures say which data they are about ("Validation split — int8", "Test set — int8"): users
coming from other tools easily mistake one for the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from backend.training.models import ModelTest, TrainedModel
from workers.learn.plots import confusion_matrix_figure, training_curves_figure

KINDS = ("float32", "int8")


def _per_class(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, **values} for name, values in (metrics.get("per_class") or {}).items()]


def curves(model: TrainedModel) -> dict[str, Any] | None:
    history = model.history or {}
    if not any(history.values()):
        return None
    return training_curves_figure(history, title=f"Training curves — model v{model.version}")


def predicted_vs_actual_figure(
    actual: Sequence[float], predicted: Mapping[str, Sequence[float]], title: str
) -> dict[str, Any]:
    """Scatter of predicted against actual values, one trace per model kind, with the y = x line."""
    fig = go.Figure()
    values = [float(v) for v in actual] + [float(v) for series in predicted.values() for v in series]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    fig.add_trace(
        go.Scatter(
            x=[low, high], y=[low, high], mode="lines", name="perfect", line={"dash": "dot", "color": "#999"}
        )
    )
    for kind, series in predicted.items():
        fig.add_trace(
            go.Scatter(
                x=list(actual),
                y=list(series),
                mode="markers",
                name=kind,
                hovertemplate="Actual %{x:.4g}<br>Predicted %{y:.4g}<extra>" + kind + "</extra>",
            )
        )
    fig.update_layout(
        title={"text": title},
        xaxis={"title": {"text": "Actual"}},
        yaxis={"title": {"text": "Predicted"}},
    )
    # Through JSON so the figure is plain data the template can embed.
    return json.loads(fig.to_json())


def _regression_results(model: TrainedModel) -> dict[str, Any]:
    metrics = model.metrics or {}
    sides = [
        {"kind": kind, **{name: metrics[kind][name] for name in ("mae", "rmse", "r2")}}
        for kind in KINDS
        if kind in metrics
    ]
    figure = None
    if sides and metrics.get("actual"):
        figure = predicted_vs_actual_figure(
            metrics["actual"],
            {side["kind"]: metrics[side["kind"]]["predicted"] for side in sides},
            "Validation split — predicted vs actual",
        )
    return {
        "task": "regression",
        "sides": sides,
        "figure": figure,
        "samples": metrics.get("samples"),
        "curves": curves(model),
        "sizes": model.sizes or {},
    }


def model_results(model: TrainedModel) -> dict[str, Any]:
    """Validation-split metrics of the float32 and int8 models side by side, curves and sizes."""
    metrics = model.metrics or {}
    if metrics.get("task") == "regression":
        return _regression_results(model)
    sides = []
    for kind in KINDS:
        if kind not in metrics:
            continue
        m = metrics[kind]
        sides.append(
            {
                "kind": kind,
                "accuracy": m["accuracy"],
                "loss": m["loss"],
                "weighted_f1": m.get("weighted_f1"),
                "per_class": _per_class(m),
                "figure": confusion_matrix_figure(
                    m["confusion_matrix"], m["class_names"], title=f"Validation split — {kind}"
                ),
            }
        )
    return {
        "sides": sides,
        "samples": metrics.get("samples"),
        "curves": curves(model),
        "sizes": model.sizes or {},
    }


def test_results(test: ModelTest) -> dict[str, Any]:
    """Test-set metrics, its confusion matrix and the per-sample rows (misclassified first)."""
    m = test.metrics or {}
    kind = m.get("dtype", "int8")
    if m.get("task") == "regression":
        rows = sorted(test.rows or [], key=lambda r: -abs(r["error"]))
        figure = predicted_vs_actual_figure(
            [r["actual"] for r in rows], {kind: [r["predicted"] for r in rows]}, f"Test set — {kind}"
        )
        return {
            "task": "regression",
            "kind": kind,
            **{name: m[name] for name in ("mae", "rmse", "r2", "windows", "samples")},
            "figure": figure,
            "rows": rows,
        }
    figure = None
    if m.get("confusion_matrix") is not None and m.get("class_names"):
        figure = confusion_matrix_figure(m["confusion_matrix"], m["class_names"], title=f"Test set — {kind}")
    rows = sorted(test.rows or [], key=lambda r: (r["label"] == r["predicted"], r["sample_id"]))
    return {
        "kind": kind,
        "accuracy": m.get("accuracy", test.accuracy),
        "loss": m.get("loss"),
        "windows": m.get("windows"),
        "unknown_label_windows": m.get("unknown_label_windows", 0),
        "samples": m.get("samples"),
        "samples_correct": m.get("samples_correct"),
        "per_class": _per_class(m),
        "figure": figure,
        "rows": rows,
    }
