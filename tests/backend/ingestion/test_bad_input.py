"""The bad-input corpus: each upload gets a clear 4xx naming the file and the problem, and nothing is stored
(no sample row, no blob, no temp file left behind)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.data import formats
from backend.projects.models import ApiKey
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import Stored, World
from tests.support.factories import make_api_key, make_project

_SIGNED = {
    "protected": {"ver": "v1", "alg": "HS256"},
    "payload": {
        "device_type": "X",
        "interval_ms": 10,
        "sensors": [{"name": "a", "units": "m"}],
        "values": [[1], [2]],
    },
}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _no_signature(key: bytes) -> bytes:
    doc = json.loads(formats.sign_acquisition(_SIGNED, key, "json"))
    del doc["signature"]
    return json.dumps(doc).encode()


# (file name, bytes given the project's HMAC key, expected status, words the error must contain)
CORPUS: list[tuple[str, Callable[[bytes], bytes], int, str]] = [
    ("truncated.csv", lambda k: b"timestamp,accX,accY\n0,1,2\n10,2,3\n20,3", 400, "truncated"),
    ("ragged.csv", lambda k: b"timestamp,accX,accY\n0,1,2\n10,2,3,4\n20,3,4\n", 400, "ragged"),
    ("words.csv", lambda k: b"timestamp,accX\n0,1\n10,two\n20,3\n", 400, "not a finite number"),
    ("wrong-key.json", lambda k: formats.sign_acquisition(_SIGNED, b"not the project key", "json"), 400,
     "signature does not match"),
    ("unsigned.json", _no_signature, 400, "signature"),
    ("broken.json", lambda k: b'{"protected": {"alg": "none"}, "payload": ', 400, "not valid JSON"),
    ("broken.cbor", lambda k: b"\xa3\x69protected\xa1", 400, "not valid CBOR"),
    ("fake.wav", lambda k: b"this is plainly not a WAV file", 400, "not a WAV file"),
    ("empty.csv", lambda k: b"", 400, "empty"),
    ("notes.txt", lambda k: b"hello", 415, "unsupported file type"),
    ("escape.zip", lambda k: _zip({"../../evil.csv": b"t,x\n0,1\n1,2\n"}), 400, "outside the archive"),
    ("bomb.zip", lambda k: _zip({"big.csv": b"t,x\n" + b"0,0\n" * 2_000_000}), 400, "zip bomb"),
    ("not-a.zip", lambda k: b"PK\x03\x04 but then garbage", 400, "zip"),
]  # fmt: skip


@pytest.mark.parametrize(("filename", "make", "status", "words"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_file_is_refused_by_ingestion_api_and_nothing_is_stored(
    anon_http,
    world: World,
    session: Session,
    filename: str,
    make: Callable[[bytes], bytes],
    status: int,
    words: str,
) -> None:
    before = Stored.now(session)
    data = make(world.project.hmac_key.encode())
    resp = anon_http.post(
        "/api/training/files",
        headers={"x-api-key": world.key},
        files=[("data", (filename, data, "application/octet-stream"))],
    )
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["success"] is False
    assert filename in body["error"] and words in body["error"]
    assert Stored.now(session) == before


@pytest.mark.parametrize(("filename", "make", "status", "words"), CORPUS[:4], ids=[c[0] for c in CORPUS[:4]])
def test_bad_file_is_refused_by_studio_api_and_nothing_is_stored(
    owner_client,
    world: World,
    session: Session,
    filename: str,
    make: Callable[[bytes], bytes],
    status: int,
    words: str,
) -> None:
    before = Stored.now(session)
    resp = owner_client.post(
        f"/api/projects/{world.project.id}/samples",
        files=[("files", (filename, make(world.project.hmac_key.encode()), "text/csv"))],
    )
    assert resp.status_code == status
    message = resp.json()["error"]["message"]
    assert filename in message and words in message
    assert Stored.now(session) == before


def test_oversized_file_is_413_naming_it_and_leaves_no_temp_file(
    anon_http, world: World, session: Session, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 2000)
    before = Stored.now(session)
    big = corpus.timeseries_csv("huge.csv", rows=500).read_bytes()
    assert len(big) > 2000
    resp = anon_http.post(
        "/api/training/files",
        headers={"x-api-key": world.key},
        files=[("data", ("huge.csv", big, "text/csv"))],
    )
    assert resp.status_code == 413
    assert "huge.csv" in resp.json()["error"] and "limit" in resp.json()["error"]
    assert Stored.now(session) == before


def test_oversized_legacy_body_is_413(anon_http, world: World, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 100)
    before = Stored.now(session)
    doc = formats.sign_acquisition(Corpus.acquisition_doc(rows=50), None, "json")
    resp = anon_http.post(
        "/api/training/data", content=doc, headers={"x-api-key": world.key, "x-file-name": "long.json"}
    )
    assert resp.status_code == 413 and "long.json" in resp.text
    assert Stored.now(session) == before


def test_zip_with_good_and_bad_members_stores_only_the_good_ones(
    anon_http, world: World, session: Session, corpus: Corpus
) -> None:
    good = corpus.timeseries_csv("g.csv", rows=17).read_bytes()
    data = _zip({"ok/idle.1.csv": good, "ok/broken.csv": b"t,x\n0,1\n1,x\n", "../up.csv": good})
    resp = anon_http.post(
        "/api/training/files", headers={"x-api-key": world.key}, files=[("data", ("mixed.zip", data, "x/y"))]
    )
    assert resp.status_code == 200
    files = {f["fileName"]: f for f in resp.json()["files"]}
    assert files["mixed.zip/ok/idle.1.csv"]["success"] is True
    assert "not a finite number" in files["mixed.zip/ok/broken.csv"]["error"]
    assert "outside the archive" in files["mixed.zip/../up.csv"]["error"]
    assert Stored.now(session).samples == 1


def test_unknown_project_is_404(owner_client, world: World) -> None:
    resp = owner_client.post(
        f"/api/projects/{world.project.id + 1000}/samples",
        files=[("files", ("a.csv", b"t,x\n0,1\n1,2\n", "x"))],
    )
    assert resp.status_code == 404


def test_key_of_another_project_cannot_reach_this_one(anon_http, world: World, session: Session) -> None:
    other_key = make_api_key(session, make_project(session))
    session.commit()
    before = Stored.now(session)
    resp = anon_http.post(
        f"/api/projects/{world.project.id}/samples",
        headers={"x-api-key": other_key},
        files=[("files", ("a.csv", b"t,x\n0,1\n1,2\n", "text/csv"))],
    )
    assert resp.status_code == 404
    assert Stored.now(session) == before


def test_revoked_key_is_401_on_both_apis_and_nothing_is_stored(
    anon_http, world: World, session: Session
) -> None:
    for key in session.query(ApiKey).filter_by(project_id=world.project.id):
        key.revoked = True
    session.commit()
    before = Stored.now(session)
    csv = ("a.csv", b"t,x\n0,1\n1,2\n", "text/csv")
    studio = anon_http.post(
        f"/api/projects/{world.project.id}/samples", headers={"x-api-key": world.key}, files=[("files", csv)]
    )
    ingestion = anon_http.post("/api/training/files", headers={"x-api-key": world.key}, files=[("data", csv)])
    assert (studio.status_code, ingestion.status_code) == (401, 401)
    assert Stored.now(session) == before


def test_an_unknown_key_is_refused_before_the_body_is_read(
    anon_http, world: World, session: Session, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over the size limit and with a bad key: the key is checked first, so the answer is 401, not 413.
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 100)
    big = corpus.timeseries_csv("huge.csv", rows=100).read_bytes()
    resp = anon_http.post(
        "/api/training/files",
        headers={"x-api-key": "mf_unknown"},
        files=[("data", ("huge.csv", big, "text/csv"))],
    )
    assert resp.status_code == 401
