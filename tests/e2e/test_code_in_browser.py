"""A reader opens the CSEC code, follows the permalink of 1.2(c) and searches for "trust account".

The demo loads the official CSEC text where the shared folder has it and Ombuds' demonstration wording
otherwise (tests/core/test_demo.py checks that its pages say so); both number their provisions alike,
and the words checked here are read from the code the demo loaded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.codes.models import CodeVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reader_follows_a_permalink_and_searches_the_code(page, live_server, demo):
    version = CodeVersion.objects.get(code__organization__slug="csec", label="v1")
    article_1 = version.provisions.get(citation="1")
    full_text_1_2_c = version.provisions.get(citation="1.2(c)").full_text
    assert "trust account" in full_text_1_2_c

    page.goto(f"{live_server.url}/csec/code/")
    expect(page.get_by_role("heading", level=1)).to_have_text(version.title)
    # The table of contents leads to Article 1.
    page.get_by_role("navigation", name="Contents").get_by_role(
        "link", name=re.compile(re.escape(article_1.heading), re.I)
    ).first.click()
    expect(page).to_have_url(re.compile(r"#1$"))

    page.get_by_role("link", name="Permalink to CSEC 1.2(c)").click()
    expect(page).to_have_url(f"{live_server.url}/csec/code/1.2(c)")
    expect(page.locator("blockquote.full-text")).to_contain_text(full_text_1_2_c)
    expect(page.get_by_text("CSEC 1.2(c) (v1)")).to_be_visible()

    page.get_by_role("link", name="Search").click()
    search = page.get_by_label("Search the CSEC code")
    search.fill("trust account")
    search.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("matches “trust account”")
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
