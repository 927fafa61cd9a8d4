"""First-use flows in a real browser: sign up, create a project, invite a teammate, run a job, viewer limits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


def sign_up(page: Page, base_url: str, email: str, next_url: str = "") -> None:
    page.goto(f"{base_url}/signup" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def sign_up_ok(page: Page, base_url: str, email: str) -> None:
    sign_up(page, base_url, email)
    expect(page).to_have_url(re.compile(r"/projects$"))


def test_sign_up_create_a_project_and_run_a_job(page: Page, base_url: str, db: None) -> None:
    sign_up(page, base_url, "maker@example.com")
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Vibration monitor")
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Vibration monitor"))).to_be_visible()
    page.get_by_role("button", name="Compute project statistics").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#job-progress")).to_have_text("100%")
    expect(page.locator("#job-log")).to_contain_text("Statistics: members=1")


def test_form_errors_appear_next_to_the_field(page: Page, base_url: str, db: None) -> None:
    sign_up_ok(page, base_url, "dup@example.com")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/signin"))
    sign_up(page, base_url, "dup@example.com")
    expect(page.locator(".field-error")).to_contain_text("already exists")


def test_invited_viewer_sees_the_project_but_cannot_edit(browser: Browser, base_url: str, db: None) -> None:
    owner = browser.new_context().new_page()
    sign_up_ok(owner, base_url, "owner@example.com")
    owner.get_by_label("Name", exact=True).fill("Shared gestures")
    owner.get_by_role("button", name="Create project").click()
    expect(owner).to_have_url(re.compile(r"/projects/\d+$"))
    project_url = owner.url
    owner.goto(project_url + "/team")
    owner.get_by_label("Invite role").select_option("viewer")
    owner.get_by_role("button", name="Create invite link").click()
    invite_url = owner.locator("#invite-url").input_value()
    assert "/invites/mfi_" in invite_url

    mate = browser.new_context().new_page()
    path = invite_url.split("://", 1)[1].split("/", 1)[1]
    mate.goto(f"{base_url}/{path}")
    expect(mate.get_by_text("Join Shared gestures")).to_be_visible()
    mate.locator("main").get_by_role("button", name="Sign up").click()
    mate.get_by_label("Email").fill("mate@example.com")
    mate.get_by_label("Password").fill(PASSWORD)
    mate.get_by_role("button", name="Sign up").click()
    mate.get_by_role("button", name="Accept invite").click()
    expect(mate).to_have_url(project_url.replace(base_url, base_url))
    expect(mate.get_by_role("heading", name=re.compile("Shared gestures"))).to_be_visible()
    expect(mate.locator(".badge").first).to_have_text("viewer")
    # Viewers get no editing controls, and the server refuses the action anyway.
    expect(mate.get_by_role("button", name="Compute project statistics")).to_have_count(0)
    resp = mate.request.post(
        project_url + "/jobs",
        form={"type": "project-stats"},
        headers={"x-csrf-token": mate.locator('meta[name="csrf-token"]').get_attribute("content") or ""},
    )
    assert resp.status == 403
    # The owner sees the new member on the team page.
    owner.goto(project_url + "/team")
    expect(owner.locator("#members")).to_contain_text("mate@example.com")
