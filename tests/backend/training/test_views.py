"""The training and model-testing pages: settings form, layer editor, results and test results."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from backend.training import service
from tests.backend.training.conftest import Studio
from tests.backend.training.factories import save_impulse
from tests.support.factories import PASSWORD
from tests.support.waiting import wait_for

HTMX = {"hx-request": "true"}


def test_train_page_without_an_impulse_says_to_design_one_first(studio: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(studio.owner.email, PASSWORD)
    page = client.get(f"/projects/{studio.project.id}/train")
    assert page.status_code == 200
    assert "Design an impulse" in page.text and 'id="train-form"' not in page.text


def test_train_page_shows_the_settings_and_each_layer_with_its_output_shape(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    page = client.get(f"/projects/{motions.project.id}/train").text
    assert 'id="train-form"' in page and 'name="epochs"' in page and 'value="30"' in page
    assert re.findall(r'class="layer-shape">([^<]*)<', page) == ["20", "10"]
    assert 'id="input-shape">42<' in page
    assert "No models yet" in page


def test_adding_a_layer_in_the_editor_makes_the_network_custom(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    form = {
        "architecture": "dense",
        "layer-0-type": "Dense",
        "layer-0-units": "20",
        "layer-0-activation": "relu",
        "op": "add",
    }
    part = client.post(f"/projects/{motions.project.id}/train/layers", data=form, headers=HTMX).text
    assert re.findall(r'class="layer-shape">([^<]*)<', part) == ["20", "16"]
    assert '<option value="custom" selected>' in part


def test_a_layer_that_misfits_is_shown_with_the_reason(motions: Studio, client) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    form = {"architecture": "custom", "layer-0-type": "Conv1D", "layer-0-filters": "4", "op": "edit"}
    part = client.post(f"/projects/{motions.project.id}/train/layers", data=form, headers=HTMX).text
    assert 'id="layer-problem"' in part and "needs a [frames, channels] input" in part


def test_starting_training_with_a_bad_value_shows_the_error_next_to_the_field(
    motions: Studio, client
) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    form = {"epochs": "0", "architecture": "dense"}
    resp = client.post(f"/projects/{motions.project.id}/train", data=form, headers=HTMX)
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in resp.text and "below the minimum" in resp.text


@pytest.mark.slow
def test_results_and_test_pages_label_each_confusion_matrix_with_its_data(
    session: Session, motions: Studio, client, celery_worker: object
) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(motions.owner.email, PASSWORD)
    pid = motions.project.id
    job = service.start_training(session, motions.ctx, {"epochs": 15})
    session.commit()
    assert wait_for(session, job.id).status == "succeeded"
    page = client.get(f"/projects/{pid}/train").text
    assert "Validation split — float32" in page and "Validation split — int8" in page
    for kind in ("float32", "int8", "keras"):
        assert f"/files/{kind}" in page
    assert 'id="estimates"' in page

    test_job = service.start_test(session, motions.ctx)
    session.commit()
    assert wait_for(session, test_job.id).status == "succeeded"
    page = client.get(f"/projects/{pid}/testing").text
    assert "Test set — int8" in page
    assert len(re.findall(rf'href="/projects/{pid}/data/\d+"', page)) == 8


def test_an_anomaly_block_gets_its_own_settings_instead_of_the_layer_editor(
    session: Session, studio: Studio, client
) -> None:  # type: ignore[no-untyped-def]
    save_impulse(session, studio.ctx, learn_type="anomaly-gmm", learn_params={"n_components": 3})
    session.commit()
    client.sign_in(studio.owner.email, PASSWORD)
    page = client.get(f"/projects/{studio.project.id}/train").text
    assert 'name="n_components"' in page and 'value="3"' in page and 'name="covariance"' in page
    assert 'id="layer-editor"' not in page and 'name="epochs"' not in page
