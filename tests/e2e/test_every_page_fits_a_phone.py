"""Every page of the site fits a phone: in Chromium at 390 px, as the public and as each kind of
signed-in person of the demo, no page is wider than the screen (nothing scrolls sideways).

The pages are found by following the links of each persona's pages from where they start (their
home, a body's staff pages), like a person would, one page of each kind (Django's view name): the
list grows with the site without being written down here (tests/e2e/crawl.py)."""

from __future__ import annotations

import pytest

from tests.e2e.crawl import crawl

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390


def test_no_page_of_the_site_scrolls_sideways_on_a_phone(browser, live_server, demo):
    wide: list[str] = []

    def fits(page, found) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide.append(f"{found.persona or 'public'}: {found.url} ({found.kind}): {width} px")

    pages = crawl(browser, live_server.url, demo.password, WIDTH, fits)
    assert wide == [], "\n".join(wide)
    # The walk reached the site's pages: public, staff, member and candidate ones, and our 404.
    assert len(pages) > 80, len(pages)
    kinds = {found.kind for found in pages}
    for kind in ("home", "codes:versions", "cases_staff:inbox", "cases_staff:case", "me:home",
                 "cases_staff:notice_templates", "register_staff:credential",
                 "register_staff:membership", "not found"):  # fmt: skip
        assert kind in kinds, (kind, sorted(kinds))
