"""The studio's data API: upload, list with filters and pages, read, edit, bulk actions, export."""

from __future__ import annotations

import io
import json
import zipfile

from backend.data import formats
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import Stored, World
from tests.support.factories import PASSWORD, add_member, make_user


def _upload(client, project_id: int, files: list[tuple[str, bytes]], **form: str):  # type: ignore[no-untyped-def]
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post(f"/api/projects/{project_id}/samples", files=parts, data=form)


def test_upload_stores_each_file_with_label_from_its_name(owner_client, world: World, corpus: Corpus) -> None:
    csv = corpus.timeseries_csv("idle.01.csv", rows=30).read_bytes()
    wav = Corpus.wav_bytes(b"\x00\x10" * 1600, rate=16000)
    resp = _upload(
        owner_client, world.project.id, [("idle.01.csv", csv), ("noise.wav", wav)], category="training"
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (2, 0)
    first, second = (f["samples"][0] for f in body["files"])
    assert (first["name"], first["label"], first["category"], first["kind"]) == (
        "idle.01", "idle", "training", "timeseries"
    )  # fmt: skip
    assert (first["frames"], first["axes"], first["interval_ms"]) == (30, 3, 10.0)
    assert (second["label"], second["kind"], second["frames"]) == ("noise", "audio", 1600)


def test_upload_reports_bad_files_by_name_and_stores_the_good_ones(
    owner_client, world: World, corpus: Corpus
) -> None:
    good = corpus.timeseries_csv("walk.1.csv").read_bytes()
    resp = _upload(
        owner_client, world.project.id, [("walk.1.csv", good), ("broken.wav", b"not a wav at all")]
    )
    assert resp.status_code == 200
    files = {f["filename"]: f for f in resp.json()["files"]}
    assert files["walk.1.csv"]["success"] is True
    assert files["broken.wav"]["success"] is False
    assert "broken.wav" in files["broken.wav"]["error"] and "WAV" in files["broken.wav"]["error"]


def test_upload_of_only_bad_files_is_a_4xx_with_every_file_listed(owner_client, world: World) -> None:
    resp = _upload(owner_client, world.project.id, [("a.csv", b"x,y\n1,2\n"), ("b.txt", b"hello")])
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert [d["filename"] for d in error["details"]] == ["a.csv", "b.txt"]
    assert error["details"][1]["status"] == 415


def test_upload_with_label_and_duplicates_refused_gives_409_for_the_copy(
    owner_client, world: World, corpus: Corpus
) -> None:
    data = corpus.timeseries_csv("x.csv").read_bytes()
    assert _upload(owner_client, world.project.id, [("x.csv", data)], label="wave").status_code == 200
    again = _upload(owner_client, world.project.id, [("y.csv", data)], label="wave", disallow_duplicates="1")
    assert again.status_code == 409
    assert "y.csv" in again.json()["error"]["message"]
    allowed = _upload(owner_client, world.project.id, [("y.csv", data)], label="wave")
    assert allowed.status_code == 200


def test_list_filters_by_label_category_sensor_and_pages_by_keyset(
    owner_client, world: World, corpus: Corpus
) -> None:
    files = [
        (f"{label}.{i}.csv", corpus.timeseries_csv(f"{label}{i}.csv", rows=10 + i).read_bytes())
        for label in ("idle", "wave")
        for i in range(3)
    ]
    assert _upload(owner_client, world.project.id, files, category="training").status_code == 200
    base = f"/api/projects/{world.project.id}/samples"
    idle = owner_client.get(base, params={"label": "idle"}).json()
    assert idle["count"] == 3 and {s["label"] for s in idle["data"]} == {"idle"}
    assert owner_client.get(base, params={"sensor": "accY"}).json()["count"] == 6
    assert owner_client.get(base, params={"sensor": "gyrX"}).json()["count"] == 0
    assert owner_client.get(base, params={"category": "testing"}).json()["count"] == 0
    assert owner_client.get(base, params={"q": "wave.1"}).json()["count"] == 1
    seen: list[int] = []
    params: dict[str, int] = {"limit": 4}
    while True:
        page = owner_client.get(base, params=params).json()
        seen += [s["id"] for s in page["data"]]
        if page["next_after_id"] is None:
            break
        params["after_id"] = page["next_after_id"]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 6


def test_values_are_downsampled_to_max_points_keeping_peaks(
    owner_client, world: World, corpus: Corpus
) -> None:
    rows = [[i * 10, 100.0 if i == 777 else 0.0] for i in range(2000)]
    data = Corpus.csv_text(["timestamp", "x"], rows).encode()
    sample = _upload(owner_client, world.project.id, [("peak.csv", data)]).json()["files"][0]["samples"][0]
    values = owner_client.get(
        f"/api/projects/{world.project.id}/samples/{sample['id']}/values?max_points=100"
    )
    body = values.json()
    assert body["downsampled"] is True and len(body["t_ms"]) <= 100
    assert max(body["axes"][0]["values"]) == 100.0
    assert body["t_ms"][body["axes"][0]["values"].index(100.0)] == 7770.0


def test_raw_download_returns_the_uploaded_bytes(owner_client, world: World, corpus: Corpus) -> None:
    data = corpus.timeseries_csv("r.csv").read_bytes()
    sid = _upload(owner_client, world.project.id, [("r.csv", data)]).json()["files"][0]["samples"][0]["id"]
    resp = owner_client.get(f"/api/projects/{world.project.id}/samples/{sid}/raw")
    assert resp.status_code == 200 and resp.content == data


def test_patch_renames_relabels_moves_disables_and_sets_metadata(
    owner_client, world: World, corpus: Corpus
) -> None:
    data = corpus.timeseries_csv("p.csv").read_bytes()
    sid = _upload(owner_client, world.project.id, [("p.csv", data)]).json()["files"][0]["samples"][0]["id"]
    url = f"/api/projects/{world.project.id}/samples/{sid}"
    body = {
        "name": "renamed",
        "label": "up",
        "category": "anomaly",
        "enabled": False,
        "metadata": {"site": "A"},
    }
    resp = owner_client.patch(url, json=body)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["name"], got["label"], got["category"], got["enabled"], got["metadata"]) == (
        "renamed", "up", "anomaly", False, {"site": "A"}
    )  # fmt: skip
    assert owner_client.patch(url, json={"label": None}).json()["label"] is None


def test_delete_removes_row_and_blobs(owner_client, world: World, corpus: Corpus, session) -> None:  # type: ignore[no-untyped-def]
    before = Stored.now(session)
    # Values no other test uses, so no blob is shared with rows left by earlier tests.
    data = Corpus.csv_text(["t", "x"], [[i * 5, 0.0417 * i + 3.25] for i in range(41)]).encode()
    sid = _upload(owner_client, world.project.id, [("d.csv", data)]).json()["files"][0]["samples"][0]["id"]
    assert Stored.now(session).samples == before.samples + 1
    assert owner_client.delete(f"/api/projects/{world.project.id}/samples/{sid}").status_code == 204
    after = Stored.now(session)
    assert after.samples == before.samples and after.blobs == before.blobs
    assert owner_client.get(f"/api/projects/{world.project.id}/samples/{sid}").status_code == 404


def test_bulk_relabel_move_disable_delete(owner_client, world: World, corpus: Corpus) -> None:
    files = [(f"b{i}.csv", corpus.timeseries_csv(f"b{i}.csv", rows=10 + i).read_bytes()) for i in range(4)]
    body = _upload(owner_client, world.project.id, files, category="training").json()
    ids = [f["samples"][0]["id"] for f in body["files"]]
    url = f"/api/projects/{world.project.id}/samples"
    assert owner_client.post(f"{url}/bulk", json={"ids": ids[:2], "action": "relabel", "label": "z"}).json() == {
        "action": "relabel", "count": 2
    }  # fmt: skip
    owner_client.post(f"{url}/bulk", json={"ids": ids[2:], "action": "move", "category": "testing"})
    owner_client.post(f"{url}/bulk", json={"ids": ids[:1], "action": "disable"})
    owner_client.post(f"{url}/bulk", json={"ids": ids[3:], "action": "delete"})
    assert owner_client.get(url, params={"label": "z"}).json()["count"] == 2
    assert owner_client.get(url, params={"category": "testing"}).json()["count"] == 1
    assert owner_client.get(url, params={"enabled": False}).json()["count"] == 1


def test_a_viewer_can_read_but_not_upload(client, world: World, corpus: Corpus, session) -> None:  # type: ignore[no-untyped-def]
    from backend.projects.permissions import Role

    viewer = make_user(session)
    add_member(session, world.project, viewer, Role.viewer)
    session.commit()
    client.sign_in(viewer.email, PASSWORD)
    assert client.get(f"/api/projects/{world.project.id}/samples").status_code == 200
    data = corpus.timeseries_csv("v.csv").read_bytes()
    assert _upload(client, world.project.id, [("v.csv", data)]).status_code == 403


def test_someone_elses_project_is_a_404(client, world: World, session) -> None:  # type: ignore[no-untyped-def]
    stranger = make_user(session)
    session.commit()
    client.sign_in(stranger.email, PASSWORD)
    assert client.get(f"/api/projects/{world.project.id}/samples").status_code == 404
    assert _upload(client, world.project.id, [("a.csv", b"t,x\n0,1\n1,2\n")]).status_code == 404


def test_export_zip_round_trips_through_upload(owner_client, world: World, corpus: Corpus) -> None:
    csvs = [
        (f"lab{i % 2}.{i}.csv", corpus.timeseries_csv(f"e{i}.csv", rows=20 + i).read_bytes())
        for i in range(4)
    ]
    wav = ("tone.wav", Corpus.wav_bytes(b"\x00\x20" * 800))
    _upload(owner_client, world.project.id, [*csvs, wav], category="split")
    resp = owner_client.get(f"/api/projects/{world.project.id}/samples/export")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        labels = json.loads(zf.read(formats.LABELS_FILE))
        assert len(labels["files"]) == 5
        assert {f["label"]["label"] for f in labels["files"]} == {"lab0", "lab1", "tone"}
    # The archive goes back in as the same recordings (so, as duplicates when those are refused).
    again = _upload(owner_client, world.project.id, [("export.zip", resp.content)], disallow_duplicates="1")
    assert again.status_code == 409
    assert all(f["status"] == 409 for f in again.json()["error"]["details"])
