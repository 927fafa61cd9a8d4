"""Plotly figures: labelled confusion matrix, training curves, feature explorer with sample ids."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workers.learn.plots import confusion_matrix_figure, feature_explorer_figure, training_curves_figure


def test_confusion_matrix_has_labelled_axes_counts_and_the_given_title() -> None:
    fig = confusion_matrix_figure([[3, 1], [0, 0]], ["idle", "wave"], title="Test set")
    json.dumps(fig)
    heatmap = fig["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == ["idle", "wave"] and heatmap["y"] == ["idle", "wave"]
    assert heatmap["text"] == [[3, 1], [0, 0]]
    # Coloured by share of the actual class; a class without samples stays at 0.
    assert heatmap["z"] == [[0.75, 0.25], [0.0, 0.0]]
    layout = fig["layout"]
    assert layout["title"]["text"] == "Test set"
    assert layout["xaxis"]["title"]["text"] == "Predicted"
    assert layout["yaxis"]["title"]["text"] == "Actual"


def test_training_curves_put_loss_and_metric_on_separate_axes() -> None:
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.9], "val_loss": [1.1, 0.7], "val_accuracy": [0.4, 0.8]}
    fig = training_curves_figure(history)
    traces = {trace["name"]: trace for trace in fig["data"]}
    assert set(traces) == {"loss", "accuracy", "validation loss", "validation accuracy"}
    assert traces["loss"]["yaxis"] == "y" and traces["validation accuracy"]["yaxis"] == "y2"
    assert traces["loss"]["x"] == [1, 2] and traces["validation loss"]["y"] == [1.1, 0.7]
    assert fig["layout"]["xaxis"]["title"]["text"] == "Epoch"


def test_feature_explorer_colours_by_label_and_carries_sample_ids() -> None:
    points = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    fig = feature_explorer_figure(points, ["b", "a", "b"], [101, 102, 103])
    json.dumps(fig)
    traces = {trace["name"]: trace for trace in fig["data"]}
    assert traces["a"]["customdata"] == [102] and traces["a"]["x"] == [2.0]
    assert traces["b"]["customdata"] == [101, 103] and traces["b"]["y"] == [1.0, 5.0]
    assert fig["layout"]["xaxis"]["title"]["text"] == "Component 1"


def test_feature_explorer_refuses_mismatched_ids() -> None:
    with pytest.raises(ValueError, match="one label and one sample id per point"):
        feature_explorer_figure(np.zeros((2, 2)), ["a", "b"], [1])
