"""Data acquisition in a real browser: upload a folder of good and bad files, open a sample's plot, relabel
in bulk, move and rebalance train/test, fix a CSV with the wizard, record the microphone and accelerometer."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserType, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


def new_project(page: Page, base_url: str, email: str) -> str:
    """Sign up, create a project and return its data page URL."""
    page.goto(f"{base_url}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/projects$"))
    page.get_by_label("Name", exact=True).fill("Gestures")
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    return page.url + "/data"


def csv_text(rows: int, phase: float) -> str:
    t = np.arange(rows)
    lines = ["timestamp,accX,accY,accZ"] + [
        f"{i * 10},{np.sin(i / 5 + phase):.4f},{np.cos(i / 7):.4f},{9.8 + 0.1 * np.sin(i / 3):.4f}" for i in t
    ]
    return "\n".join(lines) + "\n"


def wav_file(frames: int, rate: int = 16000) -> bytes:
    pcm = (np.sin(np.arange(frames) * 2 * np.pi * 440 / rate) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def acquisition_json(rows: int) -> str:
    values = [[float(i % 7), float(-i % 5), 9.8] for i in range(rows)]
    doc = {
        "protected": {"ver": "v1", "alg": "none", "iat": 1_764_000_000},
        "signature": "0" * 64,
        "payload": {
            "device_name": "test-board", "device_type": "NANO33BLE", "interval_ms": 16,
            "sensors": [{"name": n, "units": "m/s2"} for n in ("accX", "accY", "accZ")], "values": values,
        },
    }  # fmt: skip
    return json.dumps(doc)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A folder as a user would pick it: three good files (CSV, WAV, Edge Impulse JSON) and two bad ones."""
    root = tmp_path / "recordings"
    (root / "day1").mkdir(parents=True)
    (root / "day1" / "wave.01.csv").write_text(csv_text(60, 0.0))
    (root / "hum.01.wav").write_bytes(wav_file(1600))
    (root / "day1" / "idle.01.json").write_text(acquisition_json(40))
    (root / "broken.01.csv").write_text("timestamp,accX,accY\n0,1,2\n10,3\n20,oops,4\n")
    (root / "fake.01.wav").write_bytes(b"this is not audio at all, just text " * 4)
    return root


def upload_folder(page: Page, data_url: str, folder: Path, category: str = "Training") -> None:
    page.goto(data_url + "/upload")
    page.locator("#upload-folder").set_input_files(folder)
    expect(page.locator("#upload-queue")).to_have_text(re.compile(r"\d+ files? ready"))
    page.get_by_label(category, exact=True).check()
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-summary")).to_have_attribute("data-done", "1", timeout=30_000)


def test_folder_upload_reports_each_file_and_a_summary(
    db: None, page: Page, base_url: str, dataset: Path
) -> None:
    data_url = new_project(page, base_url, "uploader@example.com")
    upload_folder(page, data_url, dataset)
    expect(page.locator("#upload-summary")).to_contain_text("3 accepted, 2 rejected")
    results = page.locator("#upload-results")
    expect(results.locator('li[data-status="accepted"]')).to_have_count(3)
    wave = results.locator('li[data-file$="day1/wave.01.csv"]')
    expect(wave).to_have_attribute("data-status", "accepted")
    expect(wave.locator(".result a")).to_have_text("wave.01 (wave, training)")
    expect(results.locator('li[data-file$="idle.01.json"] .result')).to_contain_text(
        "idle.01 (idle, training)"
    )
    broken = results.locator('li[data-file$="broken.01.csv"]')
    expect(broken).to_have_attribute("data-status", "rejected")
    expect(broken.locator(".reason")).to_contain_text("broken.01.csv")
    fake = results.locator('li[data-file$="fake.01.wav"]')
    expect(fake.locator(".reason")).to_contain_text(re.compile("WAV", re.I))


def test_files_dropped_on_the_box_are_uploaded(db: None, page: Page, base_url: str) -> None:
    data_url = new_project(page, base_url, "dropper@example.com")
    page.goto(data_url)
    expect(page.locator("#no-data")).to_be_visible()
    # A drop as the browser delivers it: a DataTransfer holding File objects.
    page.evaluate(
        """([good, bad]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([good], 'knock.01.csv', {type: 'text/csv'}));
            dt.items.add(new File([bad], 'notes.txt', {type: 'text/plain'}));
            document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
        }""",
        [csv_text(20, 0.5), "just some words"],
    )
    expect(page.locator("#upload-queue")).to_have_text("2 files ready to upload.")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-summary")).to_contain_text("1 accepted, 1 rejected.")
    expect(page.locator('li[data-file="notes.txt"] .reason')).to_contain_text("notes.txt")
    page.get_by_role("link", name="See the data").click()
    expect(page.locator("#samples tbody tr")).to_have_count(1)


def test_open_an_uploaded_sample_and_see_its_plot_and_player(
    db: None, page: Page, base_url: str, dataset: Path
) -> None:
    data_url = new_project(page, base_url, "plotter@example.com")
    upload_folder(page, data_url, dataset)
    page.locator('li[data-file$="wave.01.csv"] .result a').click()
    expect(page.locator("#sample-title")).to_contain_text("wave.01")
    plot = page.locator("#signal-plot")
    expect(plot.locator(".main-svg").first).to_be_visible()
    expect(plot.locator(".legendtext")).to_have_text(["accX", "accY", "accZ"])
    page.get_by_label("Crop from").fill("100")
    page.get_by_label("to", exact=True).fill("300")
    expect(plot.locator(".shapelayer path")).to_have_count(1)
    page.goto(data_url)
    page.get_by_role("link", name="hum.01").click()
    expect(page.locator("#sample-audio")).to_have_attribute("src", re.compile(r"/audio\.wav$"))
    duration = page.locator("#sample-audio").evaluate(
        "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)))"
    )
    assert duration == pytest.approx(0.1, abs=0.01)


def test_relabel_in_bulk_from_the_explorer(db: None, page: Page, base_url: str, dataset: Path) -> None:
    data_url = new_project(page, base_url, "labeller@example.com")
    upload_folder(page, data_url, dataset)
    page.goto(data_url)
    rows = page.locator("#samples tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label("Select wave.01").check()
    page.get_by_label("Select idle.01").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_label("New label").fill("gesture")
    page.get_by_role("button", name="Relabel").click()
    expect(page.locator("#samples tbody tr", has_text="wave.01").locator(".label")).to_have_text("gesture")
    expect(page.locator("#samples tbody tr", has_text="idle.01").locator(".label")).to_have_text("gesture")
    expect(page.locator("#samples tbody tr", has_text="hum.01").locator(".label")).to_have_text("hum")
    expect(page.locator('#summary-labels tr[data-label="gesture"] .count-training')).to_have_text("2")


def test_bulk_action_without_selection_shows_the_reason(
    db: None, page: Page, base_url: str, dataset: Path
) -> None:
    data_url = new_project(page, base_url, "careless@example.com")
    upload_folder(page, data_url, dataset)
    page.goto(data_url)
    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#bulk-error")).to_contain_text("Select at least one sample")


def test_move_to_testing_then_rebalance_updates_the_summary(
    db: None, page: Page, base_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "taps"
    folder.mkdir()
    for i in range(10):
        (folder / f"tap.{i:02d}.csv").write_text(csv_text(30 + i, i / 3))
    data_url = new_project(page, base_url, "splitter@example.com")
    upload_folder(page, data_url, folder)
    page.goto(data_url)
    ratio = page.locator("#summary-ratio")
    expect(ratio).to_have_text("100 / 0")
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Move to").select_option("testing")
    page.get_by_role("button", name="Move").click()
    expect(ratio).to_have_text("0 / 100")
    expect(page.locator('#summary-labels tr[data-label="tap"] .count-testing')).to_have_text("10")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Rebalance 80/20").click()
    expect(ratio).to_have_text("80 / 20")
    expect(page.locator('#summary-labels tr[data-label="tap"] .count-training')).to_have_text("8")
    expect(page.locator("#samples tbody tr", has_text="testing")).to_have_count(2)


def test_rejected_csv_is_fixed_with_the_wizard_and_then_accepted(
    db: None, page: Page, base_url: str, tmp_path: Path
) -> None:
    odd = tmp_path / "log.csv"
    odd.write_text("when;a;b\n" + "".join(f"x{i};{i};{-i}\n" for i in range(50)))
    data_url = new_project(page, base_url, "wizard@example.com")
    page.goto(data_url + "/upload")
    page.locator("#upload-files").set_input_files(odd)
    page.get_by_label("Label for every file").fill("drift")
    page.get_by_role("button", name="Upload", exact=True).click()
    row = page.locator('#upload-results li[data-file="log.csv"]')
    expect(row).to_have_attribute("data-status", "rejected")
    row.get_by_role("button", name="Open in the CSV wizard").click()
    expect(page.locator("#csv-rows th")).to_have_text(["when", "a", "b"])
    expect(page.locator("#csv-problems")).to_be_visible()
    with page.expect_response(re.compile("csv-wizard")):
        page.get_by_label("Timestamp column").select_option("(none)")
    with page.expect_response(re.compile("csv-wizard")):
        page.get_by_label("when", exact=True).uncheck()
    expect(page.get_by_label("Timestamp column")).to_have_value("(none)")
    page.get_by_label("Frequency (Hz)").fill("25")
    page.get_by_label("Frequency (Hz)").dispatch_event("change")
    expect(page.locator("#csv-ok")).to_be_visible()
    expect(page.locator("#csv-plot .main-svg").first).to_be_visible()
    page.get_by_role("button", name="Save mapping for later uploads").click()
    expect(page.locator("#csv-saved")).to_be_visible()
    page.locator("#upload-files").set_input_files(odd)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator('#upload-results li[data-file="log.csv"]').last).to_have_attribute(
        "data-status", "accepted"
    )


@pytest.fixture
def media_browser(browser_type: BrowserType, browser_type_launch_args: dict) -> Iterator[Browser]:
    """Chromium with a fake microphone (a beep) that never asks for permission."""
    args = [*browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]  # fmt: skip
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


def test_capture_a_microphone_clip_into_the_project(db: None, media_browser: Browser, base_url: str) -> None:
    context = media_browser.new_context(permissions=["microphone"], base_url=base_url)
    page = context.new_page()
    data_url = new_project(page, base_url, "singer@example.com")
    page.goto(data_url + "/capture")
    page.get_by_label("Label").fill("beep")
    page.get_by_label("Length (s)").nth(1).fill("1")
    page.get_by_role("button", name="Record microphone").click()
    row = page.locator('#capture-results li[data-status="accepted"]')
    expect(row).to_have_count(1, timeout=20_000)
    expect(row.locator("a")).to_contain_text("(beep, ")
    row.locator("a").click()
    expect(page.locator("#sample-details")).to_contain_text("audio")
    expect(page.locator("#sample-details")).to_contain_text("16000")
    expect(page.locator("#sample-audio")).to_be_visible()
    context.close()


def test_capture_the_accelerometer_from_motion_events(db: None, page: Page, base_url: str) -> None:
    data_url = new_project(page, base_url, "mover@example.com")
    page.goto(data_url + "/capture")
    page.get_by_label("Label").fill("shake")
    page.get_by_label("Frequency").select_option("50")
    page.get_by_label("Length (s)").first.fill("1")
    # Desktop Chromium has no motion sensor: feed it events as a phone would (about every 16 ms).
    page.evaluate(
        """() => { let i = 0; window.__motion = setInterval(() => { i++;
            window.dispatchEvent(new DeviceMotionEvent('devicemotion', {interval: 16,
              accelerationIncludingGravity: {x: Math.sin(i / 4), y: 0.5, z: 9.81}})); }, 16); }"""
    )
    page.get_by_role("button", name="Record accelerometer").click()
    row = page.locator('#capture-results li[data-status="accepted"]')
    expect(row).to_have_count(1, timeout=20_000)
    expect(page.locator("#accel-plot .main-svg").first).to_be_visible()
    row.locator("a").click()
    expect(page.locator("#sample-details")).to_contain_text("accX")
    expect(page.locator("#sample-details")).to_contain_text("50 frames")
    expect(page.locator("#sample-details")).to_contain_text("20.0 ms")


def test_accelerometer_capture_without_motion_data_says_so(db: None, page: Page, base_url: str) -> None:
    data_url = new_project(page, base_url, "still@example.com")
    page.goto(data_url + "/capture")
    page.get_by_role("button", name="Record accelerometer").click()
    expect(page.locator("#capture-label-error")).to_have_text("Give the recording a label.")
    page.get_by_label("Label").fill("still")
    page.get_by_role("button", name="Record accelerometer").click()
    expect(page.locator("#accel-status")).to_contain_text("no accelerometer", timeout=10_000)
    expect(page.locator("#capture-results li")).to_have_count(0)
