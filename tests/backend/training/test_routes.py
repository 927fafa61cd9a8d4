"""The training JSON API: permissions, refusals before jobs, own-model upload, model files and metrics."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.projects.permissions import Role
from backend.training.models import ModelSource, ModelStatus, TrainedModel
from tests.backend.training.conftest import Studio
from tests.backend.training.factories import classifier_files, save_impulse
from tests.support.factories import PASSWORD, add_member, make_project, make_user


def _upload(client, pid: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(f"/api/projects/{pid}/models", files={"file": (name, data)})


def test_a_viewer_cannot_start_training(session: Session, motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    viewer = make_user(session)
    add_member(session, motions.project, viewer, Role.viewer)
    session.commit()
    client.sign_in(viewer.email, PASSWORD)
    resp = client.post(f"/api/projects/{motions.project.id}/training", json={"settings": {}})
    assert resp.status_code == 403
    assert client.get(f"/api/projects/{motions.project.id}/models").status_code == 200


def test_another_users_project_is_not_found(session: Session, motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    stranger = make_user(session)
    make_project(session, stranger)
    session.commit()
    client.sign_in(stranger.email, PASSWORD)
    assert client.get(f"/api/projects/{motions.project.id}/models").status_code == 404
    resp = client.post(f"/api/projects/{motions.project.id}/training", json={"settings": {}})
    assert resp.status_code == 404


def test_bad_settings_are_refused_with_422_naming_the_field(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    resp = client.post(f"/api/projects/{motions.project.id}/training", json={"settings": {"batch_size": 0}})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["details"] == {"field": "batch_size"} and "minimum" in error["message"]


def test_an_int8_tflite_that_fits_the_impulse_becomes_a_new_model_version(
    session: Session, motions: Studio, anon_http
) -> None:  # type: ignore[no-untyped-def]
    _, int8, _ = classifier_files(42, 4)
    headers = {"x-api-key": motions.key}
    pid = motions.project.id
    resp = anon_http.post(
        f"/api/projects/{pid}/models", files={"file": ("mine.tflite", int8)}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["source"], body["status"], body["version"]) == (ModelSource.uploaded, ModelStatus.ready, 1)
    assert body["class_names"] == ["badminton", "running", "standing", "walking"]
    assert body["sizes"] == {"int8": len(int8)} and body["input_quantization"] is not None
    download = anon_http.get(f"/api/projects/{pid}/models/{body['id']}/files/int8", headers=headers)
    assert download.status_code == 200 and download.content == int8
    assert "moteforge-" in download.headers["content-disposition"]
    missing = anon_http.get(f"/api/projects/{pid}/models/{body['id']}/files/keras", headers=headers)
    assert missing.status_code == 404


def test_a_keras_upload_is_converted_to_float32_and_int8(session: Session, motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    _, _, keras_bytes = classifier_files(42, 4)
    client.sign_in(motions.owner.email, PASSWORD)
    resp = _upload(client, motions.project.id, "mine.keras", keras_bytes)
    assert resp.status_code == 201, resp.text
    model = session.get(TrainedModel, resp.json()["id"])
    assert model.float32_sha and model.int8_sha and model.keras_sha
    assert set(model.sizes) == {"float32", "int8", "keras"}


def test_a_file_that_is_not_a_model_is_refused_and_nothing_is_stored(
    session: Session, motions: Studio, client
) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    resp = _upload(client, motions.project.id, "model.tflite", b"\x00garbage bytes, not a flatbuffer")
    assert resp.status_code == 422
    assert "not a TensorFlow Lite model" in resp.json()["error"]["message"]
    resp = _upload(client, motions.project.id, "weights.h5", b"HDF5")
    assert resp.status_code == 422 and "expected a .tflite or .keras file" in resp.json()["error"]["message"]
    assert client.get(f"/api/projects/{motions.project.id}/models").json()["count"] == 0


def test_a_model_whose_input_does_not_match_the_features_is_refused(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    float32, _, _ = classifier_files(10, 4)
    resp = _upload(client, motions.project.id, "small.tflite", float32)
    assert resp.status_code == 422
    assert (
        "takes 10 values" in resp.json()["error"]["message"]
        and "42 features" in resp.json()["error"]["message"]
    )


def test_a_model_with_the_wrong_number_of_classes_is_refused(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    _, int8, _ = classifier_files(42, 3)
    resp = _upload(client, motions.project.id, "three.tflite", int8)
    assert resp.status_code == 422 and "3 outputs" in resp.json()["error"]["message"]


def test_classifying_a_broken_upload_is_refused_before_any_job(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    _upload(client, motions.project.id, "mine.tflite", classifier_files(42, 4)[1])
    resp = client.post(
        f"/api/projects/{motions.project.id}/classify/upload",
        files={"file": ("broken.csv", b"timestamp,accX\n0,1\n1,not-a-number\n")},
    )
    assert resp.status_code in (400, 422), resp.text
    assert client.get(f"/api/projects/{motions.project.id}/jobs").json()["count"] == 0


def test_metrics_of_an_uploaded_model_are_empty_until_tested(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    model = _upload(client, motions.project.id, "mine.tflite", classifier_files(42, 4)[1]).json()
    metrics = client.get(f"/api/projects/{motions.project.id}/models/{model['id']}/metrics").json()
    assert metrics == {
        "model_id": model["id"],
        "version": 1,
        "split": None,
        "samples": None,
        "float32": None,
        "int8": None,
    }


def test_an_own_model_is_refused_for_an_anomaly_impulse(session: Session, studio: Studio, client) -> None:  # type: ignore[no-untyped-def]
    save_impulse(session, studio.ctx, learn_type="anomaly-kmeans")
    session.commit()
    client.sign_in(studio.owner.email, PASSWORD)
    resp = _upload(client, studio.project.id, "mine.tflite", classifier_files(42, 4)[1])
    assert resp.status_code == 422 and "classification block" in resp.json()["error"]["message"]
