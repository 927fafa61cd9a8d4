"""Impulse pages: the designer (suggested, saved, edited, refused next to the field), the block preview and
feature generation refused with a message before any job."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import numpy as np
import pytest
from sqlalchemy.orm import Session

from backend.impulses import service
from backend.projects.permissions import Role
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import IMU_AXES, basic_motions, make_sample
from tests.support.factories import PASSWORD, add_member, make_user

HTMX = {"hx-request": "true"}


@pytest.fixture
def studio(client, owned: Owned):  # type: ignore[no-untyped-def]
    client.sign_in(owned.owner.email, PASSWORD)
    return client


def form_of(html: str) -> list[tuple[str, str]]:
    """The fields a browser would submit from the designer form (inputs, checked boxes, selected options)."""
    fields: list[tuple[str, str]] = []
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                fields.append((name.group(1), value.group(1) if value else "on"))
        else:
            fields.append((name.group(1), value.group(1) if value else ""))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        fields.append((name, chosen.group(1) if chosen else ""))
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields.append((name, body))
    return fields


def post_form(studio, url: str, fields: list[tuple[str, str]], action: str):  # type: ignore[no-untyped-def]
    """Submit repeated fields the way a browser encodes them."""
    body = urlencode([*fields, ("action", action)])
    headers = {**HTMX, "content-type": "application/x-www-form-urlencoded"}
    return studio.post(url, content=body, headers=headers)


def replace(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, value if k == name else v) for k, v in fields]


def test_without_data_the_page_points_to_the_data(studio, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    html = studio.get(f"/projects/{owned.project.id}/impulse").text
    assert 'id="no-data"' in html and "Add training data first" in html


def test_with_data_the_page_shows_the_suggested_pipeline(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    html = studio.get(f"/projects/{owned.project.id}/impulse").text
    assert "not saved yet" in html and 'id="designer-form"' in html
    assert 'name="input_block.window_ms" value="2000"' in html
    assert 'data-type="spectral"' in html and 'data-type="classifier"' in html
    # Parameter fields come from the declarations, with their help text.
    assert 'name="dsp_blocks.dsp1.params.fft_length"' in html and "FFT length" in html
    for axis in IMU_AXES:
        assert f'value="{axis}" checked' in html


def test_saving_the_form_creates_a_version_and_redirects(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    fields = form_of(studio.get(f"/projects/{owned.project.id}/impulse").text)
    resp = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "save")
    assert resp.status_code == 204
    assert resp.headers["HX-Redirect"] == f"/projects/{owned.project.id}/impulse?saved=1"
    session.expire_all()
    impulse = service.get_current(session, owned.ctx)
    assert impulse.version == 1 and impulse.input_block["axes"] == list(IMU_AXES)
    assert impulse.dsp_blocks[0]["params"]["fft_length"] == 16
    html = studio.get(f"/projects/{owned.project.id}/impulse?saved=1").text
    assert "Saved as version 1" in html and 'id="generate-features"' in html


def test_a_bad_value_is_shown_next_to_its_field(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    fields = form_of(studio.get(f"/projects/{owned.project.id}/impulse").text)
    fields = replace(fields, "dsp_blocks.dsp1.params.peaks_count", "40")
    resp = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "save")
    assert resp.status_code == 422
    assert 'id="dsp_blocks-dsp1-params-peaks_count-error"' in resp.text
    assert "above the maximum 16" in resp.text
    assert service.get_current(session, owned.ctx) is None


def test_text_in_a_number_field_is_refused_without_saving(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    fields = replace(
        form_of(studio.get(f"/projects/{owned.project.id}/impulse").text), "input_block.window_ms", "two"
    )
    resp = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "save")
    assert resp.status_code == 422
    assert 'id="input_block-window_ms-error">Enter a number.' in resp.text


def test_adding_and_removing_blocks_redraws_the_form(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    fields = replace(
        form_of(studio.get(f"/projects/{owned.project.id}/impulse").text), "new_dsp_type", "flatten"
    )
    added = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "add-dsp")
    assert (
        added.status_code == 200 and 'id="block-dsp2"' in added.text and 'data-type="flatten"' in added.text
    )
    fields = form_of(added.text)
    removed = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "remove:dsp1")
    assert 'id="block-dsp1"' not in removed.text and 'id="block-dsp2"' in removed.text
    assert service.get_current(session, owned.ctx) is None


def test_switching_to_image_input_swaps_the_processing_block(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    session.commit()
    fields = replace(
        form_of(studio.get(f"/projects/{owned.project.id}/impulse").text), "input_block.type", "image"
    )
    resp = post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "input-type")
    assert 'data-type="image"' in resp.text and 'name="input_block.width" value="96"' in resp.text
    assert "field-error" not in resp.text


def test_generate_features_on_unfit_data_shows_why_and_queues_nothing(
    studio, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=3, testing_per_class=0)
    session.commit()
    fields = form_of(studio.get(f"/projects/{owned.project.id}/impulse").text)
    fields = [f for f in replace(fields, "input_block.window_ms", "20000") if f[0] != "input_block.zero_pad"]
    assert post_form(studio, f"/projects/{owned.project.id}/impulse", fields, "save").status_code == 204
    resp = studio.post(f"/projects/{owned.project.id}/impulse/generate-features", headers=HTMX)
    assert resp.status_code == 422
    assert "Features were not generated" in resp.text and "longer than every training sample" in resp.text
    assert studio.get(f"/api/projects/{owned.project.id}/jobs").json()["count"] == 0


def test_generate_features_shows_the_job_panel_and_waits_for_the_explorer(
    studio, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=3, testing_per_class=0)
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    session.commit()
    resp = studio.post(f"/projects/{owned.project.id}/impulse/generate-features", headers=HTMX)
    assert resp.status_code == 200
    assert 'id="job-panel"' in resp.text and 'data-status="queued"' in resp.text
    # Until the job finishes the explorer polls for itself.
    assert f'hx-get="/projects/{owned.project.id}/impulse/explorer"' in resp.text
    assert "Generating features" in studio.get(f"/projects/{owned.project.id}/impulse/explorer").text


def test_the_block_page_plots_a_window_and_its_features(studio, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    rows = basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    session.commit()
    html = studio.get(
        f"/projects/{owned.project.id}/impulse/blocks/dsp1?sample_id={rows[2].id}&window=3"
    ).text
    assert 'id="window-plot"' in html and 'id="features-plot"' in html
    assert "window 4 of 17" in html and "90 features" in html
    # Feature names carry the sensor names, not axis numbers.
    assert "accX rms" in html
    # Bin labels carry the bin's centre frequency (10 Hz / 16-point FFT: 0.625 Hz steps).
    assert "accX power 0.625 Hz" in html and "gyrZ power 5 Hz" in html
    assert studio.get(f"/projects/{owned.project.id}/impulse/blocks/dsp9").status_code == 404


def test_the_mfcc_block_page_shows_frames_by_coefficients_as_a_heatmap(
    studio, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    t = np.arange(8000) / 8000.0
    for label, hz in (("low", 300.0), ("high", 2000.0)):
        for _ in range(3):
            tone = np.sin(2 * np.pi * hz * t).astype(np.float32)[:, None]
            make_sample(
                session, owned.project, tone, label=label, interval_ms=0.125, kind="audio", sensors=("audio",)
            )
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    session.commit()
    html = studio.get(f"/projects/{owned.project.id}/impulse/blocks/dsp1").text
    # 1 s at 8 kHz, 20 ms frames every 10 ms: 99 frames of 13 coefficients.
    assert "shape [99, 13]" in html and '"type": "heatmap"' in html


def test_the_image_block_page_shows_the_input_and_the_processed_picture(
    studio, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    for label in ("dark", "light"):
        make_sample(
            session,
            owned.project,
            np.full((40, 60, 3), 30 if label == "dark" else 220, np.uint8),
            label=label,
            kind="image",
        )
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    session.commit()
    html = studio.get(f"/projects/{owned.project.id}/impulse/blocks/dsp1").text
    # Images smaller than 96 px keep their larger side: 60 x 60 RGB.
    assert "shape [60, 60, 3]" in html and html.count('"type": "image"') == 2


def test_a_viewer_sees_the_design_without_editing_buttons(client, session: Session, owned: Owned) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    viewer = make_user(session)
    add_member(session, owned.project, viewer, Role.viewer)
    session.commit()
    client.sign_in(viewer.email, PASSWORD)
    html = client.get(f"/projects/{owned.project.id}/impulse").text
    assert 'data-type="spectral"' in html
    for control in ('id="save-impulse"', 'value="add-dsp"', 'id="generate-features"'):
        assert control not in html


def test_the_page_says_how_the_training_data_fits_before_any_job(
    studio, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    session.commit()
    html = studio.get(f"/projects/{owned.project.id}/impulse").text
    assert "Training data: 68 windows (badminton 17, running 17, standing 17, walking 17)" in html
    design = service.suggest(session, owned.ctx)
    design.input_block.window_ms, design.input_block.zero_pad = 20000, False
    service.save(session, owned.ctx, design)
    session.commit()
    html = studio.get(f"/projects/{owned.project.id}/impulse").text
    assert "does not fit this impulse yet" in html and "longer than every training sample" in html
