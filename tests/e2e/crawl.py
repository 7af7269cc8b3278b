"""The walk through the site that the whole-site browser tests share (every page fits a phone, every
page passes axe): as the public and as each kind of signed-in person of the demo, follow the links
of each persona's pages from where they start (their home, a body's staff pages), like a person
would, one page of each kind (Django's view name), so the list grows with the site without being
written down in the tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

from django.urls import Resolver404, resolve

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
NOT_FOUND = "/no/such/page/at/all"
PERSONAS = [
    # (username, where they start); None is the public.
    (None, ["/", "/csec/", "/espcc/", "/espcc/register/?q=a", "/csec/code/search/?q=client",
            NOT_FOUND]),
    ("admin", ["/me/", "/staff/daily/", "/staff/csec/cases/notices/", *STAFF_PAGES]),
    ("csec-chair", ["/staff/csec/cases/", "/me/"]),
    ("espcc-investigator", ["/staff/espcc/cases/"]),
    ("staff2-1@agency.example.org", ["/me/"]),
    ("holder1@example.org", ["/me/"]),
    ("candidate1@example.org", ["/me/"]),
]  # fmt: skip
PAGES_PER_PERSONA = 90


@dataclass(frozen=True)
class Found:
    """A page the walk reached: who saw it, its address and its kind."""

    persona: str | None
    url: str
    kind: str


# Called on each page the walk loads (the page object, what was found); returns nothing.
OnPage = Callable[[object, Found], None]


def kind_of(url: str) -> str:
    try:
        return resolve(urlparse(url).path).view_name
    except Resolver404:
        return "not found"


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def new_context(browser, width: int):
    """A browser context `width` pixels wide: a phone at 390, a computer otherwise."""
    if width <= 480:
        return browser.new_context(
            viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True
        )
    return browser.new_context(viewport={"width": width, "height": 900})


def _walk(page, base: str, persona: str | None, starts: list[str], seen_kinds: set[str],
          on_page: OnPage) -> list[Found]:  # fmt: skip
    """Follow links breadth first from `starts`, one page per kind not seen yet."""
    queue, queued, found = list(starts), set(starts), []
    while queue and len(found) < PAGES_PER_PERSONA:
        url = queue.pop(0)
        kind = kind_of(url)
        if kind in seen_kinds and url not in starts:
            continue
        response = page.goto(base + url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen_kinds.add(kind)
        assert response.status < 500, url
        here = Found(persona, url, kind)
        found.append(here)
        on_page(page, here)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            if not href or href.startswith(("#", "mailto:", "tel:", "http:", "https:", "//")):
                continue
            link = urljoin(url, href).split("#")[0]
            if link not in queued and not NOT_A_PAGE.search(link):
                queued.add(link)
                queue.append(link)
    return found


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


def crawl(browser, base: str, password: str, width: int, on_page: OnPage) -> list[Found]:
    """Walk the demo's site at `width` as the public and as each persona (signed in with the demo's
    `password`), calling `on_page` on each page found; the pages, in the order they were found."""
    personas = [(username, list(starts)) for username, starts in PERSONAS]
    personas[1][1][:0] = _deep_pages()  # the administrator's
    seen_kinds: set[str] = set()
    found: list[Found] = []
    for username, starts in personas:
        context = new_context(browser, width)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            sign_in(page, base, username, password)
        found += _walk(page, base, username, starts, seen_kinds, on_page)
        context.close()
    return found
