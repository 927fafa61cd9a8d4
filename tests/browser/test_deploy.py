"""Deployment in a real browser: the demo project's model built for the Arduino Nano 33 BLE Sense, its
verification followed live, the zip downloaded and checked."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from firmware.deploy.verify import verify_bundle
from tests.backend.deploy.factories import dense_int8
from tests.browser.test_training import demo_with_impulse, sign_in_as_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.qemu]


def demo_with_model(session: Session) -> int:
    """The demo project, its suggested impulse and an int8 classifier uploaded for it (training it is
    test_training's subject; the bundle must reproduce the studio's answers whatever they are)."""
    from backend.core.principal import Principal
    from backend.projects.models import Project
    from backend.projects.permissions import Role
    from backend.projects.service import ProjectContext
    from backend.training import service as training

    pid = demo_with_impulse(session)
    ctx = ProjectContext(project=session.get(Project, pid), role=Role.owner, principal=Principal())
    impulse = training.current_impulse(session, ctx)
    features = math.prod(training.input_shape(impulse, training.learn_block_of(impulse, None)))
    training.upload_model(session, ctx, dense_int8(features, len(impulse.labels)), "demo-int8.tflite")
    session.commit()
    return pid


def test_deploy_the_demo_project_to_the_nano_33_ble_sense_and_download_the_zip(
    page: Page, base_url: str, session: Session, tmp_path: Path
) -> None:
    pid = demo_with_model(session)
    sign_in_as_demo(page, base_url)
    page.goto(f"{base_url}/projects/{pid}")
    page.get_by_role("link", name="Deployment", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/deploy$"))
    expect(page.locator("#board-select")).to_have_value("arduino-nano-33-ble-sense")
    # Only the bundle kinds a board is offered can be chosen.
    page.locator("#board-select").select_option("raspberry-pi-4")
    expect(page.locator('#kind-select option[value="arduino"]')).to_be_disabled()
    expect(page.locator('#kind-select option[value="linux"]')).to_be_enabled()
    page.locator("#board-select").select_option("arduino-nano-33-ble-sense")
    expect(page.locator('#kind-select option[value="arduino"]')).to_be_enabled()

    # The per-board table arrives once each core has been measured in its emulator.
    nano = page.locator('#estimates-table tr[data-board="arduino-nano-33-ble-sense"]')
    expect(nano).to_have_attribute("data-fits", "yes", timeout=180_000)
    expect(nano).to_contain_text("KB of 256 KB")
    expect(nano).to_contain_text(re.compile(r"\d+\.\d\d ms"))

    page.get_by_role("button", name="Build and verify").click()
    expect(page.locator("#job-log")).to_contain_text("building arduino bundle", timeout=60_000)
    panel = page.locator("#build-panel")
    expect(panel).not_to_have_attribute("data-status", "building", timeout=300_000)
    assert panel.get_attribute("data-status") == "ready", panel.inner_text()
    expect(page.locator("#bundle-ready")).to_contain_text("verified")
    with page.expect_download() as info:
        page.locator("#download-bundle").click()
    download = info.value
    assert download.suggested_filename.endswith("-arduino-nano-33-ble-sense-arduino.zip")
    bundle = tmp_path / download.suggested_filename
    download.save_as(bundle)
    assert verify_bundle(bundle).ok
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert any(n.endswith("/library.properties") for n in names) and "verification.log" in names

    # The build appears in the history of its model version, with the same download.
    page.reload()
    expect(page.locator("article.history").first).to_contain_text("verified")
    page.get_by_role("link", name="the boards").click()
    expect(page.locator("#esp32-note")).to_contain_text("built, but not emulated")
