"""Plotly figures of the processing-block page: one raw window and the features a block makes of it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go


def _as_dict(fig: go.Figure) -> dict[str, Any]:
    # Through JSON so numpy values become plain lists the template can embed.
    return json.loads(fig.to_json())


def _image_trace(image: np.ndarray) -> go.Image:
    pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return go.Image(z=pixels.tolist())


def window_figure(window: np.ndarray, axes: Sequence[str], frequency_hz: float | None) -> dict[str, Any]:
    """The raw window: one line per axis over time in ms (an image is shown as itself)."""
    fig = go.Figure()
    if window.ndim == 3:
        fig.add_trace(_image_trace(window))
        fig.update_layout(title={"text": "Input image"}, margin={"t": 40, "b": 20})
        return _as_dict(fig)
    step = 1000.0 / float(frequency_hz or 1.0)
    t = (np.arange(window.shape[0]) * step).round(3).tolist()
    for a, name in enumerate(axes):
        fig.add_trace(go.Scatter(x=t, y=window[:, a].tolist(), mode="lines", name=name))
    fig.update_layout(
        title={"text": "Raw window"},
        xaxis={"title": {"text": "Time (ms)"}},
        yaxis={"title": {"text": "Value"}},
        margin={"t": 40},
    )
    return _as_dict(fig)


def features_figure(
    features: np.ndarray, shape: Sequence[int], names: Sequence[str] | None, title: str
) -> dict[str, Any]:
    """A block's features laid out by its shape: bars for a vector, a heatmap for frames x values,
    the processed picture for an image."""
    fig = go.Figure()
    values = np.asarray(features, dtype=np.float64)
    if len(shape) == 3:
        picture = np.clip(values.reshape(shape) * 255.0, 0, 255).astype(np.uint8)
        fig.add_trace(_image_trace(picture))
    elif len(shape) == 2 and shape[0] > 1 and shape[1] > 1:
        grid = values.reshape(shape)
        # Time (frames) across, coefficients or bins up: how spectrograms are read.
        fig.add_trace(go.Heatmap(z=grid.T.tolist(), colorscale="Viridis"))
        fig.update_layout(xaxis={"title": {"text": "Frame"}}, yaxis={"title": {"text": "Coefficient / bin"}})
    else:
        labels = list(names) if names and len(names) == len(values) else list(range(len(values)))
        fig.add_trace(go.Bar(x=[str(n) for n in labels], y=values.tolist()))
        fig.update_layout(xaxis={"title": {"text": "Feature"}}, yaxis={"title": {"text": "Value"}})
    fig.update_layout(title={"text": title}, margin={"t": 40})
    return _as_dict(fig)
