"""Ingestion tests share the data domain's fixtures (project, API key, corpus)."""

from __future__ import annotations

from tests.backend.data.conftest import corpus, owner_client, world

__all__ = ["corpus", "owner_client", "world"]
