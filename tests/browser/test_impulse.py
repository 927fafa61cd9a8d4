"""Impulse design in a real browser on the demo dataset: design, save, generate features, explore."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.support.browser import sign_in_as_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def demo_project_id(session: Session) -> int:
    from backend.demo import seed_demo

    project = seed_demo(session)
    session.commit()
    return project.id


def test_design_an_impulse_generate_features_and_open_a_sample_from_the_explorer(
    page: Page, base_url: str, session: Session
) -> None:
    pid = demo_project_id(session)
    sign_in_as_demo(page, base_url)
    page.get_by_role("link", name=re.compile("BasicMotions")).first.click()
    page.get_by_role("link", name="Impulse design").click()
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/impulse$"))
    expect(page.get_by_text("Suggested from your training data")).to_be_visible()
    expect(page.get_by_label("Window size (ms)")).to_have_value("2000")

    # A refused value is explained next to its field and nothing is saved.
    page.get_by_label("Window increase (ms)").fill("0")
    page.get_by_role("button", name="Save impulse").click()
    expect(page.locator("#input_block-stride_ms-error")).to_contain_text("Window increase must be between")
    page.get_by_label("Window increase (ms)").fill("1000")

    # Add a second processing block, then save.
    page.get_by_label("Processing block to add").select_option("flatten")
    page.get_by_role("button", name="Add processing block").click()
    expect(page.locator("#block-dsp2")).to_have_attribute("data-type", "flatten")
    page.get_by_role("button", name="Save impulse").click()
    expect(page.locator("#saved-note")).to_have_text("Saved as version 1.")
    expect(page.locator("#impulse-version")).to_contain_text("v1")

    # Generate features and watch the job finish; the explorer appears by itself.
    page.get_by_role("button", name="Generate features").click()
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=120_000)
    expect(page.locator("#explorer-plot .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#feature-sets")).to_contain_text("up to date")
    # 40 training recordings x 9 windows of 2 s every 1 s.
    expect(page.locator("#explorer")).to_contain_text("360 of 360 training windows")
    for label in ("badminton", "running", "standing", "walking"):
        expect(page.locator("#explorer-plot .legendtext", has_text=label)).to_be_visible()

    # Clicking a point opens its sample.
    page.locator("#explorer-plot").scroll_into_view_if_needed()
    box = page.locator("#explorer-plot .scatterlayer .point").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/data/\d+$"))

    # The processing block's own page plots a raw window and its features.
    page.goto(f"{base_url}/projects/{pid}/impulse/blocks/dsp2")
    expect(page.locator("#window-plot .main-svg").first).to_be_visible()
    expect(page.locator("#features-plot .main-svg").first).to_be_visible()
    expect(page.get_by_text("Flatten: 42 features")).to_be_visible()
