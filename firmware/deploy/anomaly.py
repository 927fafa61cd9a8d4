"""Anomaly blocks in C: the K-means or Gaussian-mixture parameters the studio stored (``to_json`` of
workers/learn/anomaly.py) as ``static const double`` tables plus the scoring function, computed in double
precision like the studio. Constant parts of the GMM log-likelihood are folded here, ahead of time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

C_DIR = Path(__file__).with_name("c")
ANOMALY_LEARN_TYPES = {"anomaly-kmeans": "kmeans", "anomaly-gmm": "gmm"}
SCORE_NAME = "anomaly score"


class InvalidAnomaly(ValueError):
    """The stored anomaly parameters are incomplete or inconsistent with the features."""


def _table(name: str, values: np.ndarray, comment: str) -> str:
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(flat)):
        raise InvalidAnomaly(f"{name} holds NaN or infinite values")
    # repr() gives the shortest text that reads back as the same double.
    items = [repr(float(v)) for v in flat]
    lines = [", ".join(items[i : i + 4]) for i in range(0, len(items), 4)]
    body = ",\n    ".join(lines)
    return f"/* {comment} */\nstatic const double {name}[{len(items)}] = {{\n    {body}\n}};\n"


def _array(params: Mapping[str, Any], key: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        value = np.asarray(params[key], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidAnomaly(f"anomaly parameters lack a numeric {key!r}") from exc
    if value.shape != shape:
        raise InvalidAnomaly(f"anomaly {key} has shape {list(value.shape)}, expected {list(shape)}")
    return value


def emit_anomaly(params: Mapping[str, Any], features: int) -> tuple[str, str]:
    """(``#define`` lines for mf_impulse.h, the learn-block C for mf_impulse.c)."""
    kind = params.get("kind")
    mean = _array(params, "mean", (features,))
    scale = _array(params, "scale", (features,))
    threshold = float(params.get("threshold", math.nan))
    if not math.isfinite(threshold):
        raise InvalidAnomaly("anomaly parameters lack a finite threshold")
    tables = [
        _table("mf_anomaly_mean", mean, f"per-feature mean of the training windows, {features} features"),
        _table("mf_anomaly_scale", scale, "per-feature standard deviation (1 for constant features)"),
    ]
    if kind == "kmeans":
        centroids = np.asarray(params.get("centroids", []), dtype=np.float64)
        k = centroids.shape[0] if centroids.ndim == 2 else 0
        centroids = _array(params, "centroids", (k, features))
        radii = _array(params, "radii", (k,))
        if k == 0 or np.any(radii <= 0):
            raise InvalidAnomaly("K-means parameters need at least one centroid and positive radii")
        tables.append(_table("mf_anomaly_centroids", centroids, f"{k} centroids in standardized space"))
        tables.append(_table("mf_anomaly_radii", radii, "each cluster's radius"))
        defines = f"#define MF_ANOMALY_CLUSTERS {k}\n"
        title, function = "K-means anomaly score", (C_DIR / "anomaly_kmeans.c.part").read_text()
    elif kind == "gmm":
        weights = np.asarray(params.get("weights", []), dtype=np.float64)
        k = weights.shape[0] if weights.ndim == 1 else 0
        means = _array(params, "means", (k, features))
        full = params.get("covariance") == "full"
        if k == 0 or np.any(weights <= 0):
            raise InvalidAnomaly("GMM parameters need at least one component with a positive weight")
        if full:
            covariances = _array(params, "covariances", (k, features, features))
            chol = np.linalg.cholesky(covariances)
            log_det = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            tables.append(_table("mf_anomaly_chol", chol, f"Cholesky factors of {k} covariances, row-major"))
        else:
            variances = _array(params, "covariances", (k, features))
            log_det = np.log(variances).sum(axis=1)
            tables.append(_table("mf_anomaly_variances", variances, f"{k} diagonal covariances"))
        consts = np.log(weights) - 0.5 * (features * np.log(2 * np.pi) + log_det)
        tables.append(_table("mf_anomaly_means", means, f"{k} component means in standardized space"))
        tables.append(_table("mf_anomaly_consts", consts, "log(w_k) - 0.5 (F log(2 pi) + log det S_k)"))
        defines = f"#define MF_ANOMALY_COMPONENTS {k}\n#define MF_ANOMALY_FULL {int(full)}\n"
        title = f"Gaussian-mixture anomaly score ({'full' if full else 'diagonal'} covariances)"
        function = (C_DIR / "anomaly_gmm.c.part").read_text()
    else:
        raise InvalidAnomaly(f"anomaly kind {kind!r} is not one of kmeans, gmm")
    header = f"#define MF_IMPULSE_ANOMALY 1\n#define MF_IMPULSE_ANOMALY_THRESHOLD {threshold!r}\n{defines}"
    code = Template((C_DIR / "learn_anomaly.c.part").read_text()).substitute(
        kind_title=title, tables="\n".join(tables), score_function=function.rstrip()
    )
    return header, code
