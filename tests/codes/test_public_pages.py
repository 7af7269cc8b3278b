"""The public pages of a body's code: readable by anyone, no draft ever shown."""

import pytest
from django.urls import reverse

from ombuds.codes import services
from tests.conftest import small_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(body, published):
    v2, _ = services.code_version_import(
        organization=body, parsed=small_code(changed=True), source=b"v2", label="v2", publish=True
    )
    return published, v2


def test_the_code_page_shows_every_provision_with_its_anchor(
    client, body, published, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("codes:current", kwargs={"org": body.slug}))
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ("1", "1.1", "1.1(a)", "1.1(b)", "1.2", "2", "2.1"):
        assert f'id="{anchor}"' in html
    assert 'href="/guild/code/1.1(a)"' in html
    assert "answer every complaint within ten days" in html
    assert "This code binds every member of the guild." in html


def test_the_code_page_query_count_does_not_grow_with_the_code(
    client, body, django_assert_max_num_queries
):
    parsed = small_code()
    many = parsed.provisions[-1].children
    template = many[0]
    for n in range(2, 400):
        many.append(type(template)(label=f"2.{n}", citation=f"2.{n}", text=f"Rule number {n}."))
    services.code_version_import(
        organization=body, parsed=parsed, source=b"big", label="big", publish=True
    )
    with django_assert_max_num_queries(6):
        response = client.get(reverse("codes:current", kwargs={"org": body.slug}))
    assert 'id="2.399"' in response.content.decode()


def test_a_provision_permalink_shows_its_full_text_and_how_to_cite_it(
    client, body, published, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = client.get("/guild/code/1.1(a)")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Members shall answer every complaint within ten days" in html
    assert "GOE 1.1(a) (v1)" in html
    # The breadcrumb leads back through its ancestors.
    assert 'href="/guild/code/v/v1/#1.1"' in html


def test_an_unknown_citation_or_body_is_not_found(client, published):
    assert client.get("/guild/code/9.9").status_code == 404
    assert client.get("/nobody/code/").status_code == 404


def test_a_body_without_a_published_code_says_so(client, body, draft):
    assert client.get(reverse("codes:current", kwargs={"org": body.slug})).status_code == 404
    page = client.get(reverse("profile:home", kwargs={"org": body.slug}))
    assert "has not published a code yet" in page.content.decode()
    # A draft is never shown to the public, not even by its label.
    assert client.get(f"/guild/code/v/{draft.label}/").status_code == 404


def test_an_earlier_version_stays_readable_and_points_to_the_current_one(client, two_versions):
    response = client.get("/guild/code/v/v1/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is an earlier version." in html
    assert "/guild/code/diff/?from=v1&amp;to=v2" in html
    assert "keep every client&#x27;s money in a separate account" in html


def test_the_versions_page_lists_published_versions_with_their_changes(
    client, two_versions, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        html = client.get("/guild/code/versions/").content.decode()
    assert "in force" in html
    assert "?from=v1&amp;to=v2" in html


def test_the_diff_page_marks_changed_words(client, two_versions, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/guild/code/diff/?from=v1&to=v2")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 added · 0 removed · 1 changed" in html
    assert '<ins><span class="visually-hidden">added: </span>trust</ins>' in html
    assert "/guild/code/v/v2/2.2" in html


def test_the_diff_page_refuses_an_unknown_version_plainly(client, two_versions):
    response = client.get("/guild/code/diff/?from=v1&to=v9")
    assert response.status_code == 400
    assert "Choose a published version to compare to." in response.content.decode()


def test_search_ranks_matching_provisions(client, body, published, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get("/guild/code/search/", {"q": "complaints"})
    html = response.content.decode()
    assert "1 provision matches “complaints”" in html
    assert "<mark>complaint </mark>" in html
    assert 'href="/guild/code/1.1(a)"' in html


def test_search_finds_nothing_plainly(client, published):
    html = client.get("/guild/code/search/", {"q": "zebra"}).content.decode()
    assert "No provision matches “zebra”" in html
    assert "Try fewer words" in html


def test_search_via_htmx_returns_only_the_results_and_the_status_line(client, published):
    response = client.get("/guild/code/search/", {"q": "records"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'href="/guild/code/1.2"' in html
    assert '<span id="search-status" hx-swap-oob="innerHTML">' in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client, published):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = client.get("/guild/code/search/", {"q": "records"}, headers=headers).content.decode()
    assert "<html" in html


def test_the_home_page_lists_bodies_and_their_codes(
    client, published, other_body, django_assert_max_num_queries
):
    # The bodies, their codes in force, and which take complaints here: however many bodies.
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert "Guild of Examples (GOE)" in html
    assert "Other Council" in html and "No code published yet." in html


def test_a_drafts_provisions_are_never_public(client, body, published, draft):
    assert client.get(f"/guild/code/v/{draft.label}/1.2").status_code == 404
    from ombuds.codes.services import provision_update

    provision_update(
        provision=draft.provisions.get(citation="1.2"),
        label="1.2",
        citation="1.2",
        heading="",
        text="Secret draft wording.",
    )
    assert (
        "No provision matches"
        in client.get("/guild/code/search/", {"q": "secret"}).content.decode()
    )
    assert "Secret draft wording" not in client.get("/guild/code/").content.decode()


def test_a_version_published_ahead_of_its_date_is_announced_not_in_force(client, body, published):
    import datetime as dt

    from django.utils import timezone

    later = timezone.localdate() + dt.timedelta(days=30)
    services.code_version_import(
        organization=body,
        parsed=small_code(changed=True),
        source=b"v2",
        label="v2",
        effective_date=later,
        publish=True,
    )
    assert 'id="2.2"' not in client.get("/guild/code/").content.decode()  # v1 is still in force
    html = client.get("/guild/code/v/v2/").content.decode()
    assert "published but not yet in force" in html
    assert "Guild of Examples (GOE)" in client.get("/").content.decode()
    assert "version v1" in client.get("/").content.decode()


def test_a_citation_without_url_safe_characters_still_gets_an_anchor(client, body):
    from ombuds.codes.parser import ParsedCode

    parsed = ParsedCode.from_dict(
        {
            "title": "T",
            "provisions": [{"label": "§", "citation": "§", "text": "Members shall be fair."}],
        }
    )
    services.code_version_import(
        organization=body, parsed=parsed, source=b"s", label="v1", publish=True
    )
    html = client.get("/guild/code/").content.decode()
    assert 'id="h-members-shall-be-fair"' in html


def test_the_stylesheet_is_collected_for_production(settings):
    from django.contrib.staticfiles import finders

    assert finders.find("ombuds/ombuds.css")
    assert finders.find("django_htmx/htmx-2.min.js")
