"""The feature explorer: a 2-D projection of an impulse's training features, stored as a few points."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from backend.core.db import utcnow
from backend.impulses import repository
from backend.impulses.features import FeatureMatrix
from backend.impulses.models import FeatureExplorer, Impulse

# Enough to see the clusters; a browser scatter stays responsive well past this.
EXPLORER_MAX_POINTS = 5000
METHOD = "pca"


def standardized(X: np.ndarray) -> np.ndarray:
    """Columns scaled to zero mean and unit variance (constant columns left at zero).

    Without it one block's large numbers (raw counts next to log powers) would decide the projection alone.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
    std = X.std(axis=0) if len(X) else np.ones(X.shape[1])
    return (X - mean) / np.where(std > 1e-12, std, 1.0)


def pick_rows(count: int, limit: int = EXPLORER_MAX_POINTS) -> np.ndarray:
    """Row indices to show: all of them, or an even, repeatable subsample of ``limit``."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(0).choice(count, size=limit, replace=False))


def principal_components(X: np.ndarray) -> np.ndarray:
    """The first two principal components of ``X [N, F]`` as ``[N, 2]`` float32.

    Same convention as ``workers.learn.evaluate.project_2d`` (each component signed so its largest
    loading is positive, so the picture does not flip between runs), computed here because importing
    that module loads TensorFlow, which costs a feature job more than the whole projection.
    """
    centred = X - X.mean(axis=0)
    out = np.zeros((len(X), 2))
    if len(X) < 2:
        return out.astype(np.float32)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    out[:, : len(components)] = centred @ (components * signs[:, None]).T
    return out.astype(np.float32)


def project(matrix: FeatureMatrix) -> tuple[np.ndarray, np.ndarray]:
    """(row indices shown, their 2-D coordinates [n, 2])."""
    rows = pick_rows(len(matrix))
    return rows, principal_components(standardized(matrix.X[rows]))


def store(session: Session, impulse: Impulse, matrix: FeatureMatrix, fingerprint: str) -> FeatureExplorer:
    """Compute and save (replacing any earlier one) the explorer of ``impulse``'s training features."""
    rows, xy = project(matrix)
    points = [
        {
            "sample_id": int(matrix.sample_ids[r]),
            "window": int(matrix.window_index[r]),
            "label": matrix.labels[r],
            "x": round(float(xy[i, 0]), 5),
            "y": round(float(xy[i, 1]), 5),
        }
        for i, r in enumerate(rows.tolist())
    ]
    explorer = repository.explorer(session, impulse.id)
    if explorer is None:
        explorer = FeatureExplorer(impulse_id=impulse.id)
        session.add(explorer)
    explorer.fingerprint = fingerprint
    explorer.method = METHOD
    explorer.points = points
    explorer.total_points = len(matrix)
    explorer.created_at = utcnow()
    session.flush()
    return explorer
