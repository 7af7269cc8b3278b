"""Every page of the site fits a phone: in Chromium at 390 px, as the public and as each kind of
signed-in person of the demo, no page is wider than the screen (nothing scrolls sideways).

The pages are found by following the links of each persona's pages from where they start (their
home, a body's staff pages), like a person would, one page of each kind (Django's view name): the
list grows with the site without being written down here."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
from django.urls import Resolver404, resolve

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390
# Not pages: downloads, the API, the admin (Django's own), signing out, files.
NOT_A_PAGE = re.compile(
    r"^/(api|admin|static|media)/|/logout|/metrics|\.(csv|pdf|json|zip|txt|png|svg|ics|xml)(\?|$)"
    r"|/download|/export|/documents?/|/files?/|/print"
)
STAFF_PAGES = [
    f"/staff/{body}/{page}"
    for body in ("csec", "espcc")
    for page in (
        "cases/",
        "register/",
        "certification/",
        "codes/",
        "attestations/",
        "compliance/",
        "invitations/",
    )
]
PERSONAS = [
    # (username, where they start); None is the public.
    (None, ["/", "/csec/", "/espcc/", "/espcc/register/?q=a", "/csec/code/search/?q=client",
            "/no/such/page/at/all"]),
    ("admin", ["/me/", "/staff/daily/", "/staff/csec/cases/notices/", *STAFF_PAGES]),
    ("csec-chair", ["/staff/csec/cases/", "/me/"]),
    ("espcc-investigator", ["/staff/espcc/cases/"]),
    ("staff2-1@agency.example.org", ["/me/"]),
    ("holder1@example.org", ["/me/"]),
    ("candidate1@example.org", ["/me/"]),
]  # fmt: skip
PAGES_PER_PERSONA = 90


def _kind(url: str) -> str:
    try:
        return resolve(urlparse(url).path).view_name
    except Resolver404:
        return "not found"


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def _visit(page, base: str, starts: list[str], seen_kinds: set[str]) -> tuple[int, list[str]]:
    """Follow links breadth first from `starts`, one page per kind not seen yet; the pages wider
    than the screen."""
    queue, queued, visited, wide = list(starts), set(starts), 0, []
    while queue and visited < PAGES_PER_PERSONA:
        url = queue.pop(0)
        kind = _kind(url)
        if kind in seen_kinds and url not in starts:
            continue
        response = page.goto(base + url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen_kinds.add(kind)
        visited += 1
        assert response.status < 500, url
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide.append(f"{url} ({kind}): {width} px")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            if not href or href.startswith(("#", "mailto:", "tel:", "http:", "https:", "//")):
                continue
            found = urljoin(url, href).split("#")[0]
            if found not in queued and not NOT_A_PAGE.search(found):
                queued.add(found)
                queue.append(found)
    return visited, wide


def _deep_pages() -> list[str]:
    """Pages a few links deep that the walk might not reach within its budget."""
    from django.urls import reverse

    from ombuds.register.models import Credential, Membership

    credential = Credential.objects.filter(program__organization__slug="espcc").first()
    membership = Membership.objects.filter(organization__slug="csec").first()
    return [
        reverse("register_staff:credential", kwargs={"org": "espcc", "pk": credential.pk}),
        reverse("register_staff:membership", kwargs={"org": "csec", "pk": membership.pk}),
    ]


def test_no_page_of_the_site_scrolls_sideways_on_a_phone(browser, live_server, demo):
    base = live_server.url
    personas = [(username, list(starts)) for username, starts in PERSONAS]
    personas[1][1][:0] = _deep_pages()  # the administrator's
    seen_kinds: set[str] = set()
    wide: list[str] = []
    total = 0
    for username, starts in personas:
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 844}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            _sign_in(page, base, username, demo.password)
        visited, too_wide = _visit(page, base, starts, seen_kinds)
        total += visited
        wide += [f"{username or 'public'}: {w}" for w in too_wide]
        context.close()
    assert wide == [], "\n".join(wide)
    # The walk reached the site's pages: public, staff, member and candidate ones, and our 404.
    assert total > 80, total
    for kind in ("home", "codes:versions", "cases_staff:inbox", "cases_staff:case", "me:home",
                 "cases_staff:notice_templates", "register_staff:credential",
                 "register_staff:membership", "not found"):  # fmt: skip
        assert kind in seen_kinds, (kind, sorted(seen_kinds))
