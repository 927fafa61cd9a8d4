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

    # The per-board table is there at once with the plan bounds (fits or not); a job measures each core
    # in its emulator meanwhile, and the build does not wait for it.
    nano = page.locator('#estimates-table tr[data-board="arduino-nano-33-ble-sense"]')
    expect(nano).to_have_attribute("data-fits", "yes", timeout=5_000)
    expect(nano).to_contain_text("KB of 256 KB")

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

    # By now the measurement job has filled the table in, board by board, without a reload.
    expect(page.locator("#estimates")).to_have_attribute("data-status", "measured", timeout=180_000)
    expect(nano).to_have_attribute("data-measured", "yes")
    expect(nano).to_contain_text(re.compile(r"\d+\.\d\d ms"))

    # The build appears in the history of its model version, with the same download.
    page.reload()
    expect(page.locator("article.history").first).to_contain_text("verified")
    page.get_by_role("link", name="the boards").click()
    expect(page.locator("#esp32-note")).to_contain_text("built, but not emulated")


def _scores(page: Page, side: str) -> dict[str, float]:
    rows = page.locator(f"#live-{side} table.live-scores tr")
    return {
        rows.nth(i).get_attribute("data-class"): float(rows.nth(i).locator("td").nth(1).inner_text())
        for i in range(rows.count())
    }


def test_live_classification_runs_the_verified_wasm_bundle_in_the_browser_as_the_studio_classifies(
    page: Page, base_url: str, session: Session
) -> None:
    pid = demo_with_model(session)
    sign_in_as_demo(page, base_url)
    page.goto(f"{base_url}/projects/{pid}/deploy")
    expect(page.locator("#live")).to_have_attribute("data-status", "none")
    page.get_by_role("button", name=re.compile("Build the browser bundle")).click()
    # The wasm bundle is built and verified like any other (native and wasmtime runs of the test samples).
    expect(page.locator("#live")).to_have_attribute("data-status", "ready", timeout=300_000)
    options = page.locator("#live-sample option")
    assert options.count() > 1
    page.locator("#live-sample").select_option(index=1)
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url) if r.ok and "/wasm/classify." in r.url else None)
    page.get_by_role("button", name="Classify in this browser").click()
    verdict = page.locator("#live-verdict")
    expect(verdict).to_have_attribute("data-agree", "yes", timeout=120_000)
    # The module and the loader it ships with, both from the project's API.
    assert sorted(u.rsplit("/", 1)[1] for u in loaded) == ["classify.js", "classify.wasm"]
    assert all(f"/api/projects/{pid}/deployments/" in u for u in loaded)
    label = page.locator("#live-browser .live-label").inner_text()
    assert label == page.locator("#live-studio .live-label").inner_text()
    mine, theirs = _scores(page, "browser"), _scores(page, "studio")
    assert mine.keys() == theirs.keys() and len(mine) > 1
    assert all(abs(mine[k] - theirs[k]) <= 1 / 256 + 1e-5 for k in theirs)
    expect(page.locator("#live-browser .live-time")).to_contain_text(re.compile(r"\d+\.\d{3} ms per window"))
    per_window = float(page.locator("#live-browser").get_attribute("data-per-window-ms"))
    assert 0 < per_window < 1000
