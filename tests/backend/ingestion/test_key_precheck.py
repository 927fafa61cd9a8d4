"""The pre-body key check is remembered for a few seconds, yet every stored sample is checked against the key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from backend.core.db import get_engine
from backend.data import ingestion
from backend.data.models import Sample
from backend.projects.models import ApiKey
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import World


def _post(http, key: str, data: bytes):  # type: ignore[no-untyped-def]
    return http.post(
        "/api/training/files", headers={"x-api-key": key}, files=[("data", ("a.csv", data, "text/csv"))]
    )


@pytest.fixture
def csv_files(corpus: Corpus) -> list[bytes]:
    return [corpus.timeseries_csv(f"walk.{i}.csv", rows=10 + i).read_bytes() for i in range(3)]


def _samples(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Sample)) or 0


def _project_keys(session: Session, world: World) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.project_id == world.project.id)))


def test_a_recently_checked_key_is_looked_up_once_per_request(
    anon_http, world: World, csv_files: list[bytes]
) -> None:
    assert _post(anon_http, world.key, csv_files[0]).status_code == 200
    lookups: list[str] = []

    def count(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM api_keys" in statement:
            lookups.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        assert _post(anon_http, world.key, csv_files[1]).status_code == 200
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    # The writer's transaction's own check (once for all the requests it stores together); the pre-check
    # and the preparing thread's lookup were remembered.
    assert len(lookups) == 1


def test_a_key_revoked_right_after_an_upload_stores_nothing_more(
    anon_http, world: World, csv_files: list[bytes], session: Session
) -> None:
    assert _post(anon_http, world.key, csv_files[0]).status_code == 200
    for key in _project_keys(session, world):
        key.revoked = True
    session.commit()
    resp = _post(anon_http, world.key, csv_files[1])
    assert resp.status_code == 401
    assert resp.json() == {"success": False, "error": "Invalid or revoked API key."}
    assert _samples(session) == 1


def test_a_key_lowered_to_viewer_right_after_an_upload_is_refused(
    anon_http, world: World, csv_files: list[bytes], session: Session
) -> None:
    assert _post(anon_http, world.key, csv_files[0]).status_code == 200
    for key in _project_keys(session, world):
        key.role = "viewer"
    session.commit()
    assert _post(anon_http, world.key, csv_files[1]).status_code == 403
    assert _samples(session) == 1


def test_a_refused_key_is_checked_before_the_body_again() -> None:
    recent = ingestion._RecentKeys(ttl=60)
    recent.remember("k")
    assert recent.fresh("k")
    recent.forget("k")
    assert not recent.fresh("k")


def test_a_remembered_key_expires_after_its_time() -> None:
    recent = ingestion._RecentKeys(ttl=0.0)
    recent.remember("k")
    assert not recent.fresh("k")


def test_the_memory_of_keys_stays_bounded() -> None:
    recent = ingestion._RecentKeys(ttl=60, size=4)
    for i in range(10):
        recent.remember(str(i))
    assert len(recent._until) <= 4 and recent.fresh("9")


def test_uploads_within_a_minute_leave_the_keys_last_used_time_as_it_was(
    anon_http, world: World, csv_files: list[bytes], session: Session
) -> None:
    assert _post(anon_http, world.key, csv_files[0]).status_code == 200
    session.expire_all()
    (first,) = {k.last_used_at for k in _project_keys(session, world) if k.last_used_at is not None}
    assert _post(anon_http, world.key, csv_files[1]).status_code == 200
    session.expire_all()
    assert {k.last_used_at for k in _project_keys(session, world) if k.last_used_at is not None} == {first}


def test_a_keys_last_used_time_older_than_a_minute_is_brought_up_to_date(
    anon_http, world: World, csv_files: list[bytes], session: Session
) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    for key in _project_keys(session, world):
        key.last_used_at = old
    session.commit()
    assert _post(anon_http, world.key, csv_files[0]).status_code == 200
    session.expire_all()
    used = [k.last_used_at for k in _project_keys(session, world) if k.last_used_at is not None]
    assert used and all(t.replace(tzinfo=None) > old.replace(tzinfo=None) for t in used)
