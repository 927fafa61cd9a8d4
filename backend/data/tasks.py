"""The data domain's part in background jobs: its figures for the project-stats job."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.data.repository import totals
from backend.jobs.handlers import STAT_PROVIDERS


def sample_stats(session: Session, project_id: int) -> dict[str, Any]:
    """Samples per category and per label (enabled ones), and how many are disabled."""
    per_category: dict[str, int] = {}
    per_label: dict[str, int] = {}
    disabled = 0
    for label, category, enabled, n, _ in totals(session, project_id):
        if not enabled:
            disabled += n
            continue
        per_category[category] = per_category.get(category, 0) + n
        key = label if label is not None else "(unlabeled)"
        per_label[key] = per_label.get(key, 0) + n
    return {"per_category": per_category, "per_label": per_label, "disabled": disabled}


if not any(name == "samples" for name, _ in STAT_PROVIDERS):
    STAT_PROVIDERS.append(("samples", sample_stats))
