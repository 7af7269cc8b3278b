"""A reader opens the CSEC code, follows the permalink of 1.2(c) and searches for "trust account"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.shared, pytest.mark.django_db(transaction=True)]

FULL_TEXT_1_2_C = (
    "Members shall maintain client trust accounts sufficient to provide complete payment of all "
    "funds owed to its clients"
)


def test_reader_follows_a_permalink_and_searches_the_code(page, live_server, demo):
    page.goto(f"{live_server.url}/csec/code/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code of Ethical Conduct")
    # The table of contents leads to Article 1.
    page.get_by_role("navigation", name="Contents").get_by_role(
        "link", name=re.compile("RELATIONSHIP WITH CLIENTS", re.I)
    ).first.click()
    expect(page).to_have_url(re.compile(r"#1$"))

    page.get_by_role("link", name="Permalink to CSEC 1.2(c)").click()
    expect(page).to_have_url(f"{live_server.url}/csec/code/1.2(c)")
    expect(page.locator("blockquote.full-text")).to_contain_text(FULL_TEXT_1_2_C)
    expect(page.get_by_text("CSEC 1.2(c) (v1)")).to_be_visible()

    page.get_by_role("link", name="Search").click()
    search = page.get_by_label("Search the CSEC code")
    search.fill("trust account")
    search.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("match “trust account”")
    results = page.locator("#search-results")
    first = results.locator("li.result").first
    expect(first.get_by_role("link")).to_have_text("CSEC 1.2(c)")
    expect(first.locator("mark").first).to_have_text(re.compile("trust", re.I))
    first.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/csec/code/1.2(c)")


def test_search_works_by_keyboard_on_a_phone(phone, live_server, demo):
    phone.goto(f"{live_server.url}/csec/code/search/")
    phone.keyboard.press("Tab")  # the skip link comes first
    expect(phone.get_by_role("link", name="Skip to main content")).to_be_focused()
    field = phone.get_by_label("Search the CSEC code")
    field.fill("complaints")
    field.press("Enter")
    expect(phone.locator("#search-results li.result").first).to_be_visible()
    citations = phone.locator("#search-results li.result a.citation").all_inner_texts()
    assert "CSEC 5.1" in citations and "CSEC 1.1(c)" in citations
    # Nothing overflows the 390-pixel screen sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
