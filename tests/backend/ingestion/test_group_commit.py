"""Concurrent uploads through the ingestion API are stored together by one writer, each answered on its own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.errors import NotAuthenticated
from backend.data import formats, ingestion, service, storage
from backend.data.models import Sample
from backend.projects import service as projects
from backend.projects.models import ApiKey
from backend.projects.permissions import Action
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import Stored, World


def test_concurrent_uploads_each_get_their_own_sample(
    live_server: str, world: World, corpus: Corpus, session: Session
) -> None:
    bodies = [corpus.timeseries_csv(f"walk.{i}.csv", rows=10 + i).read_bytes() for i in range(24)]
    items_before = ingestion._writer.items

    def post(i: int) -> dict:
        resp = httpx.post(
            f"{live_server}/api/training/files",
            headers={"x-api-key": world.key, "x-label": f"l{i % 3}"},
            files=[("data", (f"walk.{i}.csv", bodies[i], "text/csv"))],
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(24)))
    ids = [a["files"][0]["sampleId"] for a in answers]
    assert len(set(ids)) == 24
    assert ingestion._writer.items - items_before == 24
    rows = {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(ids)))}
    for i, sample_id in enumerate(ids):  # each answer names the sample made from its own file
        assert rows[sample_id].name == f"walk.{i}"
        assert rows[sample_id].frames == 10 + i
        assert rows[sample_id].label == f"l{i % 3}"
    assert not Stored.now(session).temp_files


def test_an_upload_whose_key_is_revoked_before_it_is_stored_leaves_no_blob(
    world: World, corpus: Corpus, session: Session
) -> None:
    before = Stored.now(session)
    path = corpus.timeseries_csv("late.csv", rows=77)
    _, key_ctx = projects.key_context(session, world.key, Action.write)
    prepared = service.prepare_upload(session, key_ctx, [(path, path.name)], service.IngestOptions())
    pending = ingestion._Pending(world.key, prepared, ingestion._Target(key_ctx, None))
    storage.forget_new_blobs(session)
    session.rollback()
    assert len(prepared.new_blobs) == 2  # the original file and the values
    assert Stored.now(session).blobs > before.blobs
    for key in session.scalars(select(ApiKey).where(ApiKey.project_id == world.project.id)):
        key.revoked = True
    session.commit()
    with pytest.raises(NotAuthenticated):
        ingestion._writer.submit(pending).result(30)
    after = Stored.now(session)
    assert after.samples == before.samples
    assert after.blobs == before.blobs


def test_a_csv_mapping_saved_right_after_an_upload_applies_to_the_next_one(
    anon_http, world: World, corpus: Corpus, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingestion._targets, "ttl", 600.0)  # the project's settings stay remembered

    def upload(name: str, rows: int) -> Sample:
        data = corpus.timeseries_csv(name, rows=rows, interval_ms=10.0).read_bytes()
        resp = anon_http.post(
            "/api/training/files",
            headers={"x-api-key": world.key},
            files=[("data", (name, data, "text/csv"))],
        )
        assert resp.status_code == 200, resp.text
        session.expire_all()
        return session.get(Sample, resp.json()["files"][0]["sampleId"])

    assert upload("before.csv", 40).interval_ms == 10.0  # detected from the timestamps
    assert ingestion._targets.get(world.key) is not None
    # While the key's project settings are remembered: the writer notices the change and the upload is
    # prepared again under the new mapping.
    service.save_csv_mapping(session, world.ctx, formats.CsvMapping(frequency_hz=50.0))
    session.commit()
    assert upload("after.csv", 41).interval_ms == 20.0
