"""Factories for real rows: users, projects, API keys (tests build data here, not in inline dicts)."""

from __future__ import annotations

import itertools
import struct
import wave
from pathlib import Path

from sqlalchemy.orm import Session

from backend.auth import service as auth
from backend.auth.models import User
from backend.core.principal import Principal
from backend.projects import service as projects
from backend.projects.models import Project
from backend.projects.permissions import Role

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(session: Session, email: str | None = None, password: str = PASSWORD, name: str = "") -> User:
    user = auth.create_user(session, email or f"user{next(_seq)}@example.com", password, name)
    session.flush()
    return user


def make_project(session: Session, owner: User | None = None, name: str | None = None) -> Project:
    owner = owner or make_user(session)
    return projects.create(session, Principal(user=owner), name or f"Project {next(_seq)}")


def add_member(session: Session, project: Project, user: User, role: Role) -> None:
    owner_ctx = projects.ProjectContext(project=project, role=Role.owner, principal=Principal())
    invite, token = projects.create_invite(session, owner_ctx, role)
    projects.accept_invite(session, Principal(user=user), token)


def make_api_key(session: Session, project: Project, role: Role = Role.member) -> str:
    ctx = projects.ProjectContext(project=project, role=Role.owner, principal=Principal())
    _, raw = projects.create_api_key(session, ctx, "test key", role)
    return raw


def write_tone_wav(path: Path) -> Path:
    """A half-second 8 kHz 16-bit mono sawtooth tone: a small audio file every sample route accepts."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i * 997) % 20000 - 10000) for i in range(4000)))
    return path
