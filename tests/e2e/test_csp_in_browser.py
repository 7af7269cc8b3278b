"""The Content-Security-Policy in a browser: the key pages work under it and Chromium reports no
violation (an inline script or style, or anything from another origin, would be refused and
reported); the API reference pages render from our own static files."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.cases.models import Case
from ombuds.register.models import Credential

pytestmark = [pytest.mark.e2e, pytest.mark.shared, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page, outside the page's policy: records each violation event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation (events and console messages) and every response from
    another origin recorded; `check()` asserts there were none."""
    console: list[str] = []
    elsewhere: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # A request the policy refuses never gets a response: record those that came from elsewhere.
    page.on(
        "response",
        lambda r: (
            elsewhere.append(r.url)
            if not r.url.startswith(("http://localhost", "data:", "blob:"))
            else None
        ),
    )

    def check(refused: frozenset[str] = frozenset()) -> None:
        """No violation but those `refused` (by the policy, as it should), no request elsewhere."""
        reported = set(page.evaluate("window.__cspViolations"))
        assert reported == refused, page.url
        assert len(console) == len(refused), console
        assert elsewhere == [], page.url
        console.clear()

    page.check_csp = check
    return page


def _sign_in(page, base: str, username: str, password: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_key_pages_work_under_the_policy_with_no_violation(watched, live_server, demo):
    page, base = watched, live_server.url.replace("127.0.0.1", "localhost")

    page.goto(f"{base}/csec/code/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.check_csp()

    # The live search (htmx) updates the results as one types.
    page.goto(f"{base}/csec/code/search/")
    page.get_by_role("searchbox").first.fill("client")
    expect(page.locator("#search-results")).to_contain_text(re.compile("client", re.I))
    page.check_csp()

    page.goto(f"{base}/espcc/register/")
    field = page.get_by_label(re.compile("Name, credential number", re.I))
    credential = Credential.objects.filter(program__organization__slug="espcc").first()
    field.fill(credential.holder.family_name)
    field.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"entry|entries|match", re.I))
    page.check_csp()

    # The certificate's QR code is inline SVG.
    page.goto(f"{base}/espcc/register/{credential.number}/certificate")
    expect(page.locator(".qr svg")).to_be_visible()
    page.check_csp()

    # The complaint form's provision picker is a script of our own.
    page.goto(f"{base}/csec/complain/")
    expect(page.locator("[data-picker-filter]").first).to_be_visible()
    page.locator("[data-picker-filter]").first.fill("client")
    page.check_csp()

    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.check_csp()

    case = Case.objects.filter(organization__slug="csec").order_by("pk").first()
    _sign_in(page, base, "csec-chair", demo.password, f"/staff/csec/cases/{case.reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    page.check_csp()


def test_the_api_reference_renders_from_our_own_static_files(watched, live_server):
    page, base = watched, live_server.url.replace("127.0.0.1", "localhost")

    page.goto(f"{base}/api/v1/docs")
    expect(page.get_by_text("Ombuds API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.check_csp()

    page.goto(f"{base}/api/v1/redoc")
    expect(page.get_by_role("heading", name=re.compile("Ombuds API")).first).to_be_visible()
    expect(page.get_by_text("/api/v1/bodies").first).to_be_attached()
    # ReDoc's sidebar always asks for Redocly's logo from its CDN (no option turns it off): the
    # policy refuses it, and no request leaves the site.
    page.check_csp(frozenset({"img-src https://cdn.redoc.ly/redoc/logo-mini.svg"}))
