"""Helpers for browser tests: signing in the way a person does."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/projects$"))


def sign_in_as_demo(page: Page, base_url: str) -> None:
    from backend.demo import DEMO_EMAIL, DEMO_PASSWORD

    sign_in(page, base_url, DEMO_EMAIL, DEMO_PASSWORD)
