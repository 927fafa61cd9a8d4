"""Hand-made requests to the Edge Impulse-compatible ingestion API: every header, both routes, the answers."""

from __future__ import annotations

import json

import cbor2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.data import formats
from backend.data.models import Sample
from backend.projects.permissions import Role
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import World
from tests.support.factories import make_api_key, make_project


def _post(http, key: str | None, files: list[tuple[str, bytes]], category: str = "training", **headers: str):  # type: ignore[no-untyped-def]
    h = {k.replace("_", "-"): v for k, v in headers.items()}
    if key is not None:
        h["x-api-key"] = key
    parts = [("data", (name, data, "multipart/form-data")) for name, data in files]
    return http.post(f"/api/{category}/files", headers=h, files=parts)


def _sample(session: Session, sample_id: int) -> Sample:
    session.expire_all()
    sample = session.scalar(select(Sample).where(Sample.id == sample_id))
    assert sample is not None
    return sample


@pytest.fixture
def csv_bytes(corpus: Corpus) -> bytes:
    return corpus.timeseries_csv("walk.01.csv", rows=12).read_bytes()


def test_success_answer_has_edge_impulse_shape(anon_http, world: World, csv_bytes: bytes) -> None:
    resp = _post(anon_http, world.key, [("walk.01.csv", csv_bytes)])
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is True
    (entry,) = body["files"]
    assert entry["success"] is True and entry["fileName"] == "walk.01.csv"
    assert entry["projectId"] == world.project.id and isinstance(entry["sampleId"], int)


def test_percent_encoded_x_label_is_decoded(
    anon_http, world: World, csv_bytes: bytes, session: Session
) -> None:
    resp = _post(anon_http, world.key, [("a.csv", csv_bytes)], x_label="caf%C3%A9%20au%20lait")
    assert _sample(session, resp.json()["files"][0]["sampleId"]).label == "café au lait"


def test_without_x_label_the_label_is_the_file_name_up_to_the_first_dot(
    anon_http, world: World, csv_bytes: bytes, session: Session
) -> None:
    resp = _post(anon_http, world.key, [("jump.s123.csv", csv_bytes)])
    assert _sample(session, resp.json()["files"][0]["sampleId"]).label == "jump"


def test_x_no_label_stores_an_unlabeled_sample(
    anon_http, world: World, csv_bytes: bytes, session: Session
) -> None:
    resp = _post(anon_http, world.key, [("jump.1.csv", csv_bytes)], x_no_label="1", x_label="ignored")
    assert _sample(session, resp.json()["files"][0]["sampleId"]).label is None


def test_x_disallow_duplicates_refuses_the_same_values_with_409(
    anon_http, world: World, csv_bytes: bytes
) -> None:
    assert _post(anon_http, world.key, [("a.csv", csv_bytes)]).status_code == 200
    assert _post(anon_http, world.key, [("b.csv", csv_bytes)]).status_code == 200
    resp = _post(anon_http, world.key, [("c.csv", csv_bytes)], x_disallow_duplicates="1")
    assert resp.status_code == 409
    assert resp.json()["success"] is False and "c.csv" in resp.json()["error"]


def test_x_metadata_and_x_bounding_boxes_are_stored(anon_http, world: World, session: Session) -> None:
    png = Corpus.image_bytes(16, 12)
    boxes = [{"label": "cat", "x": 1, "y": 2, "width": 5, "height": 4}]
    resp = _post(
        anon_http, world.key, [("cat.1.png", png)],
        x_metadata=json.dumps({"site": "north", "rig": "3"}), x_bounding_boxes=json.dumps(boxes),
    )  # fmt: skip
    sample = _sample(session, resp.json()["files"][0]["sampleId"])
    assert sample.meta["site"] == "north" and sample.meta["bounding_boxes"] == boxes
    assert (sample.kind, sample.frames, sample.width, sample.axes) == ("image", 12, 16, 3)


def test_x_metadata_that_is_not_a_json_object_is_a_422(anon_http, world: World, csv_bytes: bytes) -> None:
    resp = _post(anon_http, world.key, [("a.csv", csv_bytes)], x_metadata="[1, 2]")
    assert resp.status_code == 422 and "x-metadata" in resp.json()["error"]


def test_x_add_date_id_makes_names_unique(anon_http, world: World, corpus: Corpus, session: Session) -> None:
    ids = [
        _post(anon_http, world.key, [("same.csv", corpus.timeseries_csv(f"s{i}.csv", rows=10 + i).read_bytes())],
              x_add_date_id="1").json()["files"][0]["sampleId"]
        for i in range(2)
    ]  # fmt: skip
    names = [_sample(session, i).name for i in ids]
    assert names[0] != names[1] and all(n.startswith("same.") for n in names)


def test_x_file_name_names_the_sample(anon_http, world: World, csv_bytes: bytes, session: Session) -> None:
    resp = _post(anon_http, world.key, [("upload.csv", csv_bytes)], x_file_name="renamed.csv")
    assert _sample(session, resp.json()["files"][0]["sampleId"]).name == "renamed"


def test_split_category_is_stable_by_content_hash(
    anon_http, world: World, corpus: Corpus, session: Session
) -> None:
    for i in range(12):
        resp = _post(anon_http, world.key, [(f"x.{i}.csv", corpus.timeseries_csv(f"x{i}.csv", rows=5 + i).read_bytes())],
                     category="split")  # fmt: skip
        sample = _sample(session, resp.json()["files"][0]["sampleId"])
        assert sample.category == formats.auto_category(sample.content_sha256)


def test_several_data_parts_and_sidecars_in_one_request(
    anon_http, world: World, corpus: Corpus, session: Session
) -> None:
    a = corpus.timeseries_csv("a.csv", rows=10).read_bytes()
    b = corpus.timeseries_csv("b.csv", rows=11).read_bytes()
    structured = {
        "version": 1,
        "type": "structured-labels",
        "structuredLabels": {"b.1.csv": [{"label": "x", "startIndex": 0, "endIndex": 10}]},
    }  # noqa: E501
    resp = _post(
        anon_http, world.key,
        [("a.1.csv", a), ("b.1.csv", b), ("structured_labels.labels", json.dumps(structured).encode()),
         ("label_map.labels", b"{}")],
    )  # fmt: skip
    files = resp.json()["files"]
    assert [f["fileName"] for f in files] == ["a.1.csv", "b.1.csv"]
    assert _sample(session, files[1]["sampleId"]).meta["structured_labels"][0]["label"] == "x"


def test_hmac_signed_document_is_verified_and_unsigned_is_not(
    anon_http, world: World, session: Session
) -> None:
    doc = Corpus.acquisition_doc(rows=8)
    signed = formats.sign_acquisition(doc, world.project.hmac_key.encode(), "json")
    unsigned = formats.sign_acquisition(
        {**doc, "payload": {**doc["payload"], "interval_ms": 20}}, None, "json"
    )
    r1 = _post(anon_http, world.key, [("signed.json", signed)])
    r2 = _post(anon_http, world.key, [("plain.json", unsigned)])
    assert _sample(session, r1.json()["files"][0]["sampleId"]).verified is True
    assert _sample(session, r2.json()["files"][0]["sampleId"]).verified is False


def test_cbor_part_sent_as_a_json_content_type_is_read_by_its_content(
    anon_http, world: World, session: Session
) -> None:
    raw = formats.sign_acquisition(Corpus.acquisition_doc(rows=6), world.project.hmac_key.encode(), "cbor")
    resp = anon_http.post(
        "/api/testing/files",
        headers={"x-api-key": world.key},
        files=[("data", ("d.cbor", raw, "application/json"))],
    )
    sample = _sample(session, resp.json()["files"][0]["sampleId"])
    assert (sample.category, sample.frames, sample.verified) == ("testing", 6, True)


def test_legacy_data_route_takes_a_raw_document_and_answers_plain_text(
    anon_http, world: World, session: Session
) -> None:
    doc = formats.sign_acquisition(Corpus.acquisition_doc(rows=9), world.project.hmac_key.encode(), "cbor")
    resp = anon_http.post(
        "/api/training/data",
        content=doc,
        headers={"x-api-key": world.key, "x-file-name": "tap.3.cbor", "x-label": "tap",
                 "content-type": "application/cbor"},
    )  # fmt: skip
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    assert resp.text == "tap.3"
    (sample,) = session.scalars(select(Sample).where(Sample.project_id == world.project.id))
    assert (sample.label, sample.frames, sample.verified) == ("tap", 9, True)
    assert cbor2.loads(doc)["payload"]["device_type"] == sample.device_type


def test_legacy_data_route_refuses_bad_json_in_plain_text(anon_http, world: World) -> None:
    resp = anon_http.post(
        "/api/training/data",
        content=b'{"payload": ',
        headers={"x-api-key": world.key, "x-file-name": "bad.json"},
    )
    assert resp.status_code == 400 and resp.text.startswith("bad.json: not valid JSON")


def test_unknown_key_is_401_in_edge_impulse_shape(anon_http, world: World, csv_bytes: bytes) -> None:
    resp = _post(anon_http, "mf_not-a-real-key", [("a.csv", csv_bytes)])
    assert resp.status_code == 401
    assert resp.json() == {"success": False, "error": "Invalid or revoked API key."}


def test_a_request_without_any_credentials_is_refused_and_stores_nothing(
    anon_http, world: World, csv_bytes: bytes, session: Session
) -> None:
    resp = _post(anon_http, None, [("a.csv", csv_bytes)])
    assert resp.status_code == 401
    assert resp.json() == {"success": False, "error": "Missing x-api-key header."}
    assert session.scalar(select(Sample.id)) is None


def test_revoked_key_is_401(anon_http, world: World, csv_bytes: bytes, session: Session) -> None:
    from backend.projects.models import ApiKey

    for key in session.scalars(select(ApiKey).where(ApiKey.project_id == world.project.id)):
        key.revoked = True
    session.commit()
    assert _post(anon_http, world.key, [("a.csv", csv_bytes)]).status_code == 401


def test_a_viewer_key_cannot_upload(anon_http, world: World, csv_bytes: bytes, session: Session) -> None:
    key = make_api_key(session, world.project, Role.viewer)
    session.commit()
    resp = _post(anon_http, key, [("a.csv", csv_bytes)])
    assert resp.status_code == 403 and resp.json()["success"] is False


def test_the_key_decides_the_project(anon_http, world: World, csv_bytes: bytes, session: Session) -> None:
    other = make_project(session, world.owner)
    other_key = make_api_key(session, other)
    session.commit()
    resp = _post(anon_http, other_key, [("a.csv", csv_bytes)])
    assert resp.json()["files"][0]["projectId"] == other.id
    assert _sample(session, resp.json()["files"][0]["sampleId"]).project_id == other.id


def test_unknown_category_is_404(anon_http, world: World, csv_bytes: bytes) -> None:
    resp = _post(anon_http, world.key, [("a.csv", csv_bytes)], category="validation")
    assert resp.status_code == 404 and resp.json()["success"] is False


def test_studio_api_of_edge_impulse_clients_answers_with_the_keys_project(
    anon_http, world: World, session: Session
) -> None:
    listed = anon_http.get("/v1/api/projects", headers={"x-api-key": world.key}).json()
    assert listed["success"] is True and [p["id"] for p in listed["projects"]] == [world.project.id]
    one = anon_http.get(f"/v1/api/{world.project.id}", headers={"x-api-key": world.key}).json()
    assert one["project"]["name"] == world.project.name
    other = make_project(session)
    session.commit()
    assert anon_http.get(f"/v1/api/{other.id}", headers={"x-api-key": world.key}).status_code == 404
