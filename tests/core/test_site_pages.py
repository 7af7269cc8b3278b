"""What every page of the site shares: an error summary takes the focus and the title says "Error:"
(whichever template shows it), our own 404 and 500 pages, the landing page's ways in, htmx only
where it is used, and the weight of a public page's styles and scripts."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path, reverse

from ombuds import urls as site_urls
from ombuds.cases.models import BodyProcedure, Case
from tests.cases import conftest as case_fixtures

csec = case_fixtures.csec  # the CSEC-like body, a fixture

TEMPLATES = Path(__file__).parents[2] / "ombuds" / "templates"
STATIC = Path(__file__).parents[2] / "ombuds" / "static"
SITE_SCRIPT = "/static/ombuds/site.js"


def _title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found, "the page has no title"
    return found.group(1).strip()


def _assert_error_page(response) -> None:
    page = response.content.decode()
    assert _title(response).startswith("Error: "), _title(response)
    assert re.search(r'class="error-summary"[^>]*tabindex="-1"', page)
    assert f'src="{SITE_SCRIPT}"' in page


# --- errors take the focus on every page ------------------------------------------------------------


def _extends_base(name: str, seen: tuple[str, ...] = ()) -> bool:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    found = re.match(r'\s*{%\s*extends\s+"([^"]+)"', text)
    if found is None:
        return False
    parent = found.group(1)
    return parent == "base.html" or (parent not in seen and _extends_base(parent, (*seen, name)))


def _included_by_a_page(name: str) -> bool:
    """A partial is included by a template that is a page (or by another partial that is)."""
    includers = [
        t
        for t in TEMPLATES.rglob("*.html")
        if f'"{name}"' in t.read_text(encoding="utf-8") and t.name != Path(name).name
    ]
    return any(
        _extends_base(str(t.relative_to(TEMPLATES)))
        or _included_by_a_page(str(t.relative_to(TEMPLATES)))
        for t in includers
    )


def test_every_template_with_an_error_summary_is_a_page_of_the_base_that_loads_the_script():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert "{% static 'ombuds/site.js' %}" in base
    showing = [
        str(t.relative_to(TEMPLATES))
        for t in TEMPLATES.rglob("*.html")
        if "error-summary" in t.read_text(encoding="utf-8") or "error_summary.html" in t.read_text()
    ]
    assert len(showing) > 30
    orphans = [
        name
        for name in showing
        if name != "includes/error_summary.html"
        and not _extends_base(name)
        and not _included_by_a_page(name)
    ]
    assert orphans == []


def test_the_script_focuses_the_summary_and_leads_its_links_to_their_fields():
    script = (STATIC / "ombuds" / "site.js").read_text(encoding="utf-8")
    assert ".error-summary[tabindex]" in script and "summary.focus()" in script
    assert "htmx:afterSwap" in script  # a part of a page replaced after a failed step too


@pytest.mark.django_db
def test_the_complaint_form_sent_empty_has_an_error_title_and_summary(client, body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    response = client.post(reverse("cases:complain", kwargs={"org": body.slug}), {"who": "named"})
    assert response.status_code == 400
    _assert_error_page(response)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_failed_sign_in_has_an_error_title_and_summary(client, django_user_model):
    django_user_model.objects.create_user("nora", "nora@example.org", "right-password-1")
    response = client.post(reverse("login"), {"username": "nora", "password": "wrong-password"})
    assert response.status_code == 400
    _assert_error_page(response)


@pytest.mark.django_db
def test_a_password_reset_without_an_address_has_an_error_title(client):
    response = client.post(reverse("password_reset"), {"email": "not an address"})
    _assert_error_page(response)


@pytest.mark.django_db
def test_an_agency_complaint_form_sent_empty_has_an_error_title_and_summary(
    client, csec, django_user_model
):
    from tests.members.test_first_tier import build_agencies, complain_url

    agencies = build_agencies(csec, django_user_model)
    response = client.post(complain_url(csec.org, agencies.agency), {"subject": ""})
    _assert_error_page(response)


@pytest.mark.django_db
def test_a_staff_form_sent_wrong_has_an_error_title(client, personas, body):
    client.force_login(personas["body_admin"])
    url = reverse("accounts_staff:invitations", kwargs={"org": body.slug})
    response = client.post(url, {})
    if response.status_code == 302:
        pytest.skip("the invitations form accepts an empty post")
    _assert_error_page(response)


def test_a_fragment_or_a_download_is_left_alone(rf):
    from django.http import HttpResponse

    from ombuds.core.http import ErrorTitle

    fragment = '<div class="error-summary" tabindex="-1">x</div>'
    response = ErrorTitle(lambda request: HttpResponse(fragment))(rf.get("/"))
    assert response.content.decode() == fragment
    csv = ErrorTitle(
        lambda request: HttpResponse("<title>x</title> error-summary", content_type="text/csv")
    )(rf.get("/"))
    assert csv.content.decode() == "<title>x</title> error-summary"
    page = '<title>Sign in</title><div class="error-summary" tabindex="-1"></div>'
    titled = ErrorTitle(lambda request: HttpResponse(page))(rf.get("/"))
    assert "<title>Error: Sign in</title>" in titled.content.decode()
    twice = ErrorTitle(lambda request: titled)(rf.get("/"))
    assert twice.content.decode().count("Error: ") == 1


# --- our own 404 and 500 pages --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mistyped_permalink_gets_our_not_found_page_with_a_way_on(client, settings, published):
    settings.DEBUG = False
    body = published.code.organization
    response = client.get(f"/{body.slug}/code/99.99.99")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in _title(response)
    assert 'role="search"' in page and 'name="body" value="guild"' in page
    # The site's navigation and the body's own, and each body's pages.
    assert 'class="site-header"' in page
    assert f'href="/{body.slug}/code/"' in page
    assert f'href="/{body.slug}/register/"' in page


@pytest.mark.django_db
def test_an_address_under_no_body_gets_our_not_found_page(client, settings, body):
    settings.DEBUG = False
    response = client.get("/no-such-thing/at/all")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'role="search"' in page and 'name="body"' not in page
    assert f'href="/{body.slug}/"' in page


def test_the_failure_page_needs_neither_the_database_nor_a_context_processor(settings):
    settings.DEBUG = False
    from ombuds.views import server_error

    # No database access is allowed in this test (no django_db mark): a query would fail it.
    response = server_error(None)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert 'role="search"' in page and 'href="/"' in page


def _broken(request):
    raise RuntimeError("a failure no page expects")


urlpatterns = [path("broken", _broken), *site_urls.urlpatterns]
handler500 = "ombuds.views.server_error"


@pytest.mark.django_db
def test_a_failing_view_gets_our_failure_page(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/broken")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_the_search_box_of_the_error_pages_leads_to_a_code_search(client, body, other_body):
    response = client.get("/search", {"body": body.slug, "q": "client money"})
    assert response.status_code == 302
    assert response["Location"] == f"/{body.slug}/code/search/?q=client+money"
    listing = client.get("/search", {"q": "client"})
    assert f'href="/{body.slug}/code/search/?q=client"' in listing.content.decode()


# --- the landing page and a body's home lead to the complaint form -----------------------------------


@pytest.mark.django_db
def test_the_landing_page_leads_to_each_bodys_code_register_and_complaint_form(
    client, body, other_body, published
):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    page = client.get("/").content.decode()
    assert f'href="/{body.slug}/code/"' in page
    assert f'href="/{body.slug}/register/"' in page
    assert f'href="/{body.slug}/complain/"' in page
    # A body that takes no complaints here: its register, and how to complain to it.
    assert f'href="/{other_body.slug}/register/"' in page
    assert f'href="/{other_body.slug}/complain/"' not in page
    assert f'href="/{other_body.slug}/#complain-title"' in page


@pytest.mark.django_db
def test_a_bodys_how_to_complain_section_links_to_the_form(client, body, other_body):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    body.how_to_complain = "Write to us first."
    body.save()
    page = client.get(f"/{body.slug}/").content.decode()
    section = page[page.index('id="complain-title"') :]
    assert f'href="/{body.slug}/complain/"' in section
    elsewhere = client.get(f"/{other_body.slug}/").content.decode()
    section = elsewhere[elsewhere.index('id="complain-title"') :]
    assert f'href="/{other_body.slug}/complain/"' not in section


# --- htmx only where it is used; the weight of a public page -------------------------------------------


HTMX = "django_htmx/htmx"


@pytest.mark.django_db
def test_htmx_loads_only_on_the_pages_that_use_it(client, body, published):
    home = client.get(f"/{body.slug}/").content.decode()
    assert HTMX not in home and "hx-" not in home
    search = client.get(f"/{body.slug}/code/search/").content.decode()
    assert HTMX in search and "hx-get" in search
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\shx-(get|post|trigger|swap-oob)=", text) and not template.name.startswith(
            "_"
        ):
            assert 'include "includes/htmx.html"' in text, template


def _assets(page: str) -> list[Path]:
    found = re.findall(r'(?:src|href)="/static/([^"]+\.(?:css|js))"', page)
    return [STATIC / name if (STATIC / name).exists() else _app_static(name) for name in found]


def _app_static(name: str) -> Path:
    from django.contrib.staticfiles import finders

    return Path(finders.find(name))


@pytest.mark.django_db
def test_a_public_pages_styles_and_scripts_weigh_under_15_kb_gzipped(client, body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    for url in ["/", f"/{body.slug}/", f"/{body.slug}/code/", f"/{body.slug}/complain/",
                f"/{body.slug}/register/", f"/{body.slug}/code/versions/"]:  # fmt: skip
        page = client.get(url).content.decode()
        assets = _assets(page)
        assert assets, url
        weight = sum(len(gzip.compress(a.read_bytes(), 9)) for a in assets)
        assert weight < 15 * 1024, (url, weight)
