"""Every page of the site passes axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) in Chromium at
390 and 1280 px: the pages the shared walk finds as the public and as each persona of the demo
(tests/e2e/crawl.py), our 404 and 500 pages, and the admin pages we ship.

axe.min.js comes in the axe-playwright-python wheel (a dev dependency): nothing is downloaded while
the test runs. It is run through Playwright's evaluate, which the site's Content-Security-Policy
does not apply to, so the pages are checked with their real headers."""

from __future__ import annotations

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from tests.e2e.crawl import Found, crawl, new_context, sign_in
from tests.e2e.failing_urls import FAILS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN = "options => axe.run(document, options)"


def _violations(page, found: Found, width: int) -> list[str]:
    """axe's violations on the page open in `page`: one line per element (page, rule, target)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(RUN, {"runOnly": {"type": "tag", "values": WCAG},
                                   "resultTypes": ["violations"]})  # fmt: skip
    who = found.persona or "public"
    return [
        f"{width} px {who} {found.url} ({found.kind}): {rule['id']} at "
        f"{' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]


def _check(browser, base: str, password: str, width: int, pages: list[Found]) -> list[str]:
    """Visit `pages` at `width`, each as the person it was found by; the violations."""
    problems: list[str] = []
    for persona in dict.fromkeys(found.persona for found in pages):
        context = new_context(browser, width)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if persona:
            sign_in(page, base, persona, password)
        for found in (found for found in pages if found.persona == persona):
            page.goto(base + found.url)
            problems += _violations(page, found, width)
        context.close()
    return problems


def _admin_pages() -> list[Found]:
    from ombuds.cases.models import Case

    case = Case.objects.order_by("pk").first()
    return [
        Found("admin", "/admin/", "admin:index"),
        Found("admin", "/admin/cases/case/", "admin:cases_case_changelist"),
        Found("admin", f"/admin/cases/case/{case.pk}/change/", "admin:cases_case_change"),
    ]


def test_every_page_passes_axe_at_both_widths(browser, live_server, demo, settings):
    settings.ROOT_URLCONF = "tests.e2e.failing_urls"  # our 500 page, by an address that fails
    base = live_server.url
    problems: list[str] = []

    def check(page, found: Found) -> None:
        problems.extend(_violations(page, found, WIDTHS[0]))

    # One walk, at the first width, checking each page as it is found; then the others.
    pages = crawl(browser, base, demo.password, WIDTHS[0], check)
    extra = [Found(None, FAILS, "server error"), *_admin_pages()]
    problems += _check(browser, base, demo.password, WIDTHS[0], extra)
    for width in WIDTHS[1:]:
        problems += _check(browser, base, demo.password, width, [*pages, *extra])
    kinds = {found.kind for found in pages}
    assert {"home", "cases_staff:case", "me:home", "not found"} <= kinds, sorted(kinds)
    print(f"axe checked {len(pages) + len(extra)} pages at {len(WIDTHS)} widths")
    assert problems == [], f"{len(problems)} violations:\n" + "\n".join(problems)


def test_the_500_page_is_ours(browser, live_server, settings):
    """The address the accessibility test uses for the 500 page does reach our page."""
    settings.ROOT_URLCONF = "tests.e2e.failing_urls"
    context = new_context(browser, 1280)
    page = context.new_page()
    response = page.goto(live_server.url + FAILS)
    assert response.status == 500
    assert page.get_by_role("heading", level=1).inner_text() == "Something went wrong"
    context.close()
