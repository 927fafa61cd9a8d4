"""Run Alembic migrations from code (serve, CLI, tests) without an alembic.ini on the path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade_db() -> None:
    command.upgrade(alembic_config(), "head")


def make_revision(message: str) -> None:
    command.revision(alembic_config(), message=message, autogenerate=True)
