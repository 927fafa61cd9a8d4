"""Plotly figures for the learning pages: confusion matrix, training curves, feature explorer.

Each function returns the figure as a JSON-able dict that the studio's plot helper renders; the
numbers come from ``evaluate`` and ``train``, nothing is computed here beyond layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go


def _as_dict(fig: go.Figure) -> dict[str, Any]:
    # Through JSON so numpy values become plain numbers and the dict can be stored or sent as is.
    return json.loads(fig.to_json())


def confusion_matrix_figure(
    confusion: Sequence[Sequence[int]], class_names: Sequence[str], title: str = "Confusion matrix"
) -> dict[str, Any]:
    """Heatmap of ``confusion[actual][predicted]``, counts written in the cells, coloured by row share.

    ``title`` lets the caller say which data it is ("Validation split", "Test set").
    """
    counts = np.asarray(confusion, dtype=np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    # Colour by the share of each actual class, so a small class's errors show as clearly as a big one's.
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    names = [str(n) for n in class_names]
    fig = go.Figure(
        go.Heatmap(
            z=shares.round(4).tolist(),
            x=names,
            y=names,
            text=counts.tolist(),
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertemplate="Actual %{y}<br>Predicted %{x}<br>%{text} samples<extra></extra>",
            colorbar={"title": {"text": "Share of actual"}},
        )
    )
    fig.update_layout(
        title={"text": title},
        xaxis={"title": {"text": "Predicted"}, "side": "bottom"},
        yaxis={"title": {"text": "Actual"}, "autorange": "reversed"},
    )
    return _as_dict(fig)


def training_curves_figure(history: Mapping[str, Sequence[float]], title: str = "Training") -> dict[str, Any]:
    """Loss (left axis) and accuracy or error metric (right axis) per epoch, training and validation."""
    fig = go.Figure()
    for key, values in history.items():
        is_loss = key.removeprefix("val_") == "loss"
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=[float(v) for v in values],
                mode="lines",
                name=key.replace("val_", "validation ").replace("_", " "),
                yaxis="y" if is_loss else "y2",
                line={"dash": "dot" if key.startswith("val_") else "solid"},
            )
        )
    fig.update_layout(
        title={"text": title},
        xaxis={"title": {"text": "Epoch"}},
        yaxis={"title": {"text": "Loss"}},
        yaxis2={"title": {"text": "Metric"}, "overlaying": "y", "side": "right"},
    )
    return _as_dict(fig)


def feature_explorer_figure(
    points: np.ndarray,
    labels: Sequence[str],
    sample_ids: Sequence[int | str],
    title: str = "Feature explorer",
    axis_titles: tuple[str, str] = ("Component 1", "Component 2"),
) -> dict[str, Any]:
    """Scatter of 2-D projected features, one trace per label; ``customdata`` holds each point's sample id.

    The studio opens the sample whose id a click reports.
    """
    points = np.asarray(points, dtype=np.float64)
    if (
        points.ndim != 2
        or points.shape[1] != 2
        or len(points) != len(labels)
        or len(labels) != len(sample_ids)
    ):
        raise ValueError("points must be [N, 2] with one label and one sample id per point")
    fig = go.Figure()
    label_array = np.asarray([str(label) for label in labels])
    ids = list(sample_ids)
    for label in sorted(set(label_array.tolist())):
        rows = np.flatnonzero(label_array == label)
        fig.add_trace(
            go.Scatter(
                x=points[rows, 0].tolist(),
                y=points[rows, 1].tolist(),
                mode="markers",
                name=label,
                customdata=[ids[i] for i in rows],
                hovertemplate="Sample %{customdata}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        title={"text": title},
        xaxis={"title": {"text": axis_titles[0]}},
        yaxis={"title": {"text": axis_titles[1]}},
        clickmode="event",
    )
    return _as_dict(fig)
