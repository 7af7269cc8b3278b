"""The body's public profile changes through `bodies.services.profile_save`: from the staff page and
the admin alike, audited with the old and new values and the actor, a stale edit refused."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.bodies import services
from ombuds.bodies.models import Organization

pytestmark = pytest.mark.django_db

PROFILE = {
    "about": "## Who we are\n\nA guild.",
    "how_to_complain": "",
    "faq": "",
    "website": "example.org",
    "contact_email": "",
    "time_zone": "",
    "languages": "en",
}


@pytest.fixture
def admin_page(client, personas):
    client.force_login(personas["body_admin"])
    return client, reverse("register_staff:profile", kwargs={"org": "guild"})


def test_a_profile_changed_on_the_staff_page_is_on_the_chain(admin_page, personas, body):
    client, url = admin_page
    response = client.post(url, {**PROFILE, "expected_version": services.profile_version(body)})
    assert response.status_code == 302
    [event] = Event.objects.filter(action="body.profile_changed")
    assert (event.actor, event.organization_id, event.subject_id) == (
        personas["body_admin"],
        body.pk,
        str(body.pk),
    )
    assert event.data["changes"] == {
        "about": {"old": "", "new": "## Who we are\n\nA guild."},
        "website": {"old": "", "new": "https://example.org"},
    }


def test_saving_the_same_profile_records_nothing(admin_page, body):
    client, url = admin_page
    client.post(url, PROFILE)
    client.post(url, PROFILE)
    assert Event.objects.filter(action="body.profile_changed").count() == 1


def test_a_stale_profile_edit_is_refused_and_nothing_is_written(admin_page, personas, body):
    client, url = admin_page
    opened = client.get(url).content.decode()
    version = services.profile_version(body)
    assert f'name="expected_version" value="{version}"' in opened
    services.profile_save(
        organization=body, values={"faq": "## Fees?\n\nNone."}, acting_user=personas["body_staff"]
    )
    response = client.post(url, {**PROFILE, "expected_version": version})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400 and 'class="error-summary"' in page
    assert "GOE's profile was changed by someone else since you read it" in page
    body.refresh_from_db()
    assert (body.about, body.faq) == ("", "## Fees?\n\nNone.")


def test_bad_values_are_refused_with_the_services_words(admin_page, body):
    client, url = admin_page
    with pytest.raises(services.ChangeRefused) as refused:
        services.profile_save(organization=body, values={"contact_email": "nope"})
    assert refused.value.errors == {"contact_email": ["Enter a valid email address."]}
    response = client.post(url, {**PROFILE, "contact_email": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    body.refresh_from_db()
    assert body.about == "" and not Event.objects.filter(action="body.profile_changed").exists()


def test_the_admin_changes_the_profile_through_the_service(client, personas, body):
    client.force_login(personas["superuser"])
    url = reverse("admin:bodies_organization_change", args=[body.pk])
    response = client.post(
        url,
        {
            "name": "Guild of Examples",
            "acronym": "GOE",
            "about": "A guild.",
            "faq": "",
            "how_to_complain": "",
            "website": "",
            "contact_email": "chair@example.org",
            "time_zone": "",
            "languages": "en",
            "seats-TOTAL_FORMS": "0",
            "seats-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = Event.objects.filter(action="body.profile_changed")
    assert event.actor == personas["superuser"]
    assert set(event.data["changes"]) == {"about", "contact_email"}


def test_the_admin_adds_a_body_through_the_service(client, personas):
    client.force_login(personas["superuser"])
    response = client.post(
        reverse("admin:bodies_organization_add"),
        {
            "slug": "csec",
            "name": "Council",
            "acronym": "CSEC",
            "about": "",
            "faq": "",
            "how_to_complain": "",
            "website": "",
            "contact_email": "",
            "seats-TOTAL_FORMS": "0",
            "seats-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    body = Organization.objects.get(slug="csec")
    [event] = Event.objects.filter(action="body.created")
    assert (event.actor, event.organization_id) == (personas["superuser"], body.pk)
