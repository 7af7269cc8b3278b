"""A body's public profile: staff write it in Markdown; it is sanitised when shown."""

import pytest
from django.urls import reverse

from ombuds.register.models import Agency, Membership, MembershipType, Seat

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_the_profile_board_and_how_to_complain(
    client, body, published, django_assert_max_num_queries
):
    body.about = "The **Guild** certifies practitioners."
    body.how_to_complain = "Write to the [Chair](mailto:chair@example.org)."
    body.save()
    Seat.objects.create(organization=body, group="board", title="President", name="Rosa Quinn")
    Seat.objects.create(
        organization=body, group="ethics_committee", title="Chair", name="Omar Haddad"
    )
    with django_assert_max_num_queries(6):
        html = client.get("/guild/").content.decode()
    assert "The <strong>Guild</strong> certifies practitioners." in html
    assert '<a href="mailto:chair@example.org" rel="noopener noreferrer nofollow">Chair</a>' in html
    assert "<strong>Omar Haddad</strong>, Chair" in html and ">Ethics Committee</h2>" in html


def test_markdown_from_staff_cannot_inject_script(client, body):
    body.about = (
        "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3)) plain"
    )
    body.save()
    html = client.get("/guild/").content.decode()
    assert "<script>alert(1)" not in html and "onerror" not in html and "javascript:" not in html
    assert "plain" in html


def test_the_members_directory_lists_members_in_good_standing_only(
    client, body, django_assert_max_num_queries
):
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    for n, status in enumerate(["active", "grace", "suspended", "lapsed", "applicant"]):
        agency = Agency.objects.create(
            organization=body, legal_name=f"Agency {status}", city="Tucson"
        )
        Membership.objects.create(
            organization=body, membership_type=kind, agency=agency, number=f"G-{n}", status=status
        )
    with django_assert_max_num_queries(4):
        html = client.get(reverse("profile:members", kwargs={"org": "guild"})).content.decode()
    assert "Agency active" in html and "Agency grace" in html
    for hidden in ("Agency suspended", "Agency lapsed", "Agency applicant"):
        assert hidden not in html
    assert "2 members of Guild of Examples" in html


def test_staff_edit_the_profile_others_cannot(client, personas, body):
    url = reverse("register_staff:profile", kwargs={"org": "guild"})
    client.force_login(personas["committee_member"])
    assert client.post(url, {"about": "hacked"}).status_code == 403
    client.force_login(personas["body_admin"])
    response = client.post(
        url,
        {
            "about": "## Who we are\n\nA guild.",
            "how_to_complain": "",
            "faq": "",
            "website": "example.org",
            "contact_email": "",
        },
    )
    assert response.status_code == 302
    body.refresh_from_db()
    assert body.about.startswith("## Who we are") and body.website == "https://example.org"
