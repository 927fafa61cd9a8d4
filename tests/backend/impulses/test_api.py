"""Impulse JSON API: current design and versions, suggestion, block catalogue, feature generation refusals,
explorer, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.impulses import service
from backend.impulses.schemas import ImpulseCreate
from backend.projects.permissions import Role
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import basic_motions, imu_design
from tests.support.factories import PASSWORD, add_member, make_api_key, make_user


def design(**input_changes: Any) -> dict[str, Any]:
    return imu_design("flatten", **input_changes)


@pytest.fixture
def api(client, owned: Owned):  # type: ignore[no-untyped-def]
    client.sign_in(owned.owner.email, PASSWORD)
    return client


def url(owned: Owned, path: str = "") -> str:
    return f"/api/projects/{owned.project.id}/impulse{path}"


def test_put_saves_versions_and_get_returns_the_newest(api, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    assert api.get(url(owned)).status_code == 404
    first = api.put(url(owned), json=design())
    assert first.status_code == 200, first.text
    second = api.put(url(owned), json=design(window_ms=3000)).json()
    assert (first.json()["version"], second["version"]) == (1, 2)
    current = api.get(url(owned)).json()
    assert current["id"] == second["id"] and current["dsp_blocks"][0]["id"] == "dsp1"
    versions = api.get(url(owned, "/versions")).json()
    assert versions["count"] == 2 and [v["version"] for v in versions["data"]] == [2, 1]
    old = api.get(url(owned, f"/versions/{first.json()['id']}")).json()
    assert old["input_block"]["window_ms"] == 2000


def test_an_invalid_design_is_a_422_naming_the_field(api, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    body = design()
    body["dsp_blocks"] = [{"type": "spectral", "params": {"fft_length": 100}}]
    resp = api.put(url(owned), json=body)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["details"] == {"field": "dsp_blocks.dsp1.params.fft_length"}
    assert "100 is not one of" in error["message"]


def test_suggestion_comes_from_the_data(api, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    assert api.get(url(owned, "/suggestion")).status_code == 422
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    suggestion = api.get(url(owned, "/suggestion")).json()
    assert suggestion["input_block"]["frequency_hz"] == 10
    assert api.put(url(owned), json=suggestion).status_code == 200


def test_the_block_catalogue_declares_parameters(api) -> None:  # type: ignore[no-untyped-def]
    catalogue = api.get("/api/blocks").json()
    spectral = next(b for b in catalogue["processing"] if b["type"] == "spectral")
    cutoff = next(p for p in spectral["parameters"] if p["name"] == "filter_cutoff")
    assert cutoff["type"] == "float" and cutoff["range"][0] == pytest.approx(0.001)
    assert any(b["type"] == "anomaly-gmm" for b in catalogue["learning"])


def test_generate_features_on_unfit_data_is_refused_before_a_job(api, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    assert api.post(url(owned, "/generate-features")).status_code == 404
    basic_motions(session, owned.project, per_class=2, testing_per_class=0)
    session.commit()
    api.put(url(owned), json=design(window_ms=20000, zero_pad=False))
    resp = api.post(url(owned, "/generate-features"))
    assert resp.status_code == 422
    assert "longer than every training sample" in resp.json()["error"]["message"]
    assert api.get(f"/api/projects/{owned.project.id}/jobs").json()["count"] == 0


def test_the_explorer_is_404_until_features_are_generated(api, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    api.put(url(owned), json=design())
    assert api.get(url(owned, "/explorer")).status_code == 404


def test_a_viewer_reads_but_cannot_save(client, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    viewer = make_user(session)
    add_member(session, owned.project, viewer, Role.viewer)
    session.commit()
    service.save(session, owned.ctx, ImpulseCreate.model_validate(design()))
    session.commit()
    client.sign_in(viewer.email, PASSWORD)
    assert client.get(url(owned)).status_code == 200
    assert client.put(url(owned), json=design(window_ms=3000)).status_code == 403
    assert client.post(url(owned, "/generate-features")).status_code == 403


def test_someone_elses_project_is_a_404(client, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    stranger = make_user(session)
    session.commit()
    client.sign_in(stranger.email, PASSWORD)
    assert client.get(url(owned)).status_code == 404
    assert client.put(url(owned), json=design()).status_code == 404


def test_an_api_key_saves_without_csrf(anon_http, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    key = make_api_key(session, owned.project)
    session.commit()
    resp = anon_http.put(url(owned), json=design(), headers={"x-api-key": key})
    assert resp.status_code == 200 and resp.json()["created_by_id"] is None
