"""Checking a bundle's code against the studio: test recordings as CSV, the ``classify`` JSON or the
harness's int8 scores compared with the studio's classification (same label, scores within one int8 step)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TestSample:
    """A test recording and the studio's classification of it (``summarize_sample``'s shape)."""

    __test__ = False  # a data record, not a pytest class

    name: str
    values: np.ndarray  # float32 [T, axes] in the impulse's axis order
    interval_ms: float
    expected: dict[str, Any]


class VerificationFailed(Exception):
    """The bundle's code did not reproduce the studio's outputs; no bundle was written."""

    def __init__(self, problems: list[str], log: str) -> None:
        super().__init__("verification failed: " + "; ".join(problems[:5]))
        self.problems = problems
        self.log = log


def to_csv(sample: TestSample, axes: Sequence[str]) -> str:
    """The recording as the ``classify`` example reads it: a header, a timestamp column, the axes."""
    values = np.asarray(sample.values, dtype=np.float32)
    lines = ["timestamp," + ",".join(axes)]
    for i, row in enumerate(values):
        # Nine significant digits bring every float32 back exactly.
        lines.append(f"{i * sample.interval_ms:.6g}," + ",".join(f"{float(v):.9g}" for v in row))
    return "\n".join(lines) + "\n"


def _step_scores(scores: dict[str, float], names: Sequence[str], scale: float, zero: int) -> np.ndarray:
    return np.array([round(scores[n] / scale) + zero for n in names], dtype=np.int64)


def compare_result(
    sample: TestSample, got: dict[str, Any], names: Sequence[str], scale: float, zero: int
) -> list[str]:
    """Problems with a ``classify`` result against the studio's: window count, label, scores (int8 steps)."""
    want = sample.expected
    problems = []
    if got.get("label") != want["label"]:
        problems.append(f"{sample.name}: label {got.get('label')!r}, studio says {want['label']!r}")
    if len(got.get("windows", [])) != len(want["windows"]):
        problems.append(
            f"{sample.name}: {len(got.get('windows', []))} windows, studio has {len(want['windows'])}"
        )
        return problems
    for mine, theirs in zip(got["windows"], want["windows"], strict=True):
        a = _step_scores(mine["scores"], names, scale, zero)
        b = _step_scores(theirs["scores"], names, scale, zero)
        if np.abs(a - b).max() > 1:
            problems.append(
                f"{sample.name} window {theirs['index']}: int8 scores {a.tolist()}, studio {b.tolist()}"
            )
    return problems


def compare_scores(
    sample: TestSample, scores_q: np.ndarray, names: Sequence[str], scale: float, zero: int
) -> list[str]:
    """Problems with per-window int8 scores from the harness against the studio's result."""
    want = sample.expected
    if len(scores_q) != len(want["windows"]):
        return [f"{sample.name}: {len(scores_q)} windows, studio has {len(want['windows'])}"]
    problems = []
    for q, theirs in zip(scores_q, want["windows"], strict=True):
        b = _step_scores(theirs["scores"], names, scale, zero)
        if np.abs(q.astype(np.int64) - b).max() > 1:
            problems.append(
                f"{sample.name} window {theirs['index']}: int8 scores {q.tolist()}, studio {b.tolist()}"
            )
    mean = ((scores_q.astype(np.float32) - zero) * scale).mean(axis=0)
    if names[int(mean.argmax())] != want["label"]:
        problems.append(f"{sample.name}: label {names[int(mean.argmax())]!r}, studio says {want['label']!r}")
    return problems


def parse_classify_output(text: str) -> dict[str, Any]:
    return json.loads(text)
