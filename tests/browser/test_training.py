"""Training and model testing in a real browser on the demo dataset: train, watch the live log, read the
confusion matrices, test the model, classify one sample."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.support.browser import sign_in_as_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def demo_with_impulse(session: Session) -> int:
    """The demo project with its suggested impulse saved (designing it is test_impulse's subject)."""
    from backend.core.principal import Principal
    from backend.demo import seed_demo
    from backend.impulses import service as impulses
    from backend.projects.permissions import Role
    from backend.projects.service import ProjectContext

    project = seed_demo(session)
    ctx = ProjectContext(project=project, role=Role.owner, principal=Principal())
    impulses.save(session, ctx, impulses.suggest(session, ctx))
    session.commit()
    return project.id


def test_train_watch_the_log_read_the_confusion_matrices_and_test_the_model(
    page: Page, base_url: str, session: Session
) -> None:
    pid = demo_with_impulse(session)
    sign_in_as_demo(page, base_url)
    page.goto(f"{base_url}/projects/{pid}")
    page.get_by_role("link", name="Train", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/train$"))
    page.wait_for_load_state()  # htmx wires the editor's buttons once the page has loaded
    expect(page.get_by_text("No models yet")).to_be_visible()

    # The layer editor follows every edit with the output shapes.
    expect(page.locator(".layer-shape")).to_have_text(["20", "10"])
    page.get_by_role("button", name="Add layer").click()
    expect(page.locator(".layer-shape")).to_have_text(["20", "10", "16"])
    expect(page.get_by_label("Architecture")).to_have_value("custom")
    page.get_by_title("Remove").nth(2).click()
    expect(page.locator(".layer-shape")).to_have_count(2)

    # A network that does not fit the features is explained in the editor and refused; nothing starts.
    page.get_by_label("Architecture").select_option("conv1d")
    # The conv1d preset reads the 90 flat features as 90 frames of 1 channel.
    expect(page.locator(".layer-shape").first).to_have_text("90 × 1")
    page.get_by_label("Channels").fill("7")
    page.get_by_label("Channels").dispatch_event("change")
    expect(page.locator("#layer-problem")).to_contain_text("do not split into frames of 7 channels")
    page.get_by_role("button", name="Start training").click()
    expect(page.locator("#train-form .field-error")).to_contain_text("frames of 7 channels")
    page.get_by_label("Channels").fill("")
    page.get_by_label("Architecture").select_option("dense")
    expect(page.locator(".layer-shape")).to_have_text(["20", "10"])

    page.get_by_label("Epochs").fill("12")
    page.get_by_role("button", name="Start training").click()
    expect(page.locator("#training-log")).to_contain_text("Epoch 1/12", timeout=120_000)
    expect(page.locator("#training-live .plot .main-svg").first).to_be_visible(timeout=60_000)

    # When the model is stored the page shows its results.
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/train\?model=\d+$"), timeout=180_000)
    float_side = page.locator(".validation-float32")
    int8_side = page.locator(".validation-int8")
    expect(float_side).to_contain_text("Validation split — float32")
    expect(int8_side).to_contain_text("Validation split — int8")
    expect(int8_side.locator(".plot .main-svg").first).to_be_visible(timeout=30_000)
    expect(int8_side.locator("table")).to_contain_text("walking")
    int8_accuracy = float(int8_side.locator(".accuracy").inner_text().rstrip("%"))
    float_accuracy = float(float_side.locator(".accuracy").inner_text().rstrip("%"))
    assert int8_accuracy > 80 and abs(float_accuracy - int8_accuracy) <= 2
    expect(page.get_by_role("link", name="int8 .tflite")).to_be_visible()
    expect(page.locator("#model-versions")).to_contain_text("v1")

    # Model testing: the test set through the int8 model, one row per sample with a link to it.
    page.get_by_role("link", name="Model testing").click()
    page.wait_for_load_state()
    expect(page.locator("#no-test")).to_be_visible()
    page.get_by_role("button", name="Run model testing").click()
    expect(page.locator("#test-title")).to_contain_text("Test set — int8", timeout=120_000)
    expect(page.locator("#test-samples tbody tr")).to_have_count(40)
    expect(page.locator(".plot.confusion .main-svg").first).to_be_visible(timeout=30_000)
    first = page.locator("#test-samples tbody tr a").first
    expect(first).to_have_attribute("href", re.compile(rf"/projects/{pid}/data/\d+$"))

    # Classify one stored sample by id.
    sample_id = first.get_attribute("href").rsplit("/", 1)[1]
    page.get_by_label("or sample id").fill(sample_id)
    page.get_by_role("button", name="Classify").click()
    expect(page.locator("#classified-label")).to_be_visible(timeout=60_000)
    expect(page.locator("#classified")).to_contain_text("17 windows")
