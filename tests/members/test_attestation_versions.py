"""Attestation campaigns follow the code's versions: publishing a new version closes the campaigns
for the version it supersedes (in the publication's transaction, with audit events), the member's
home stops listing them, the material-change rule decides what carries into the new version's
campaign, and the attestation page shows what changed since the version the person last attested
to."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.codes import hooks
from ombuds.codes.models import CodeVersion
from ombuds.members import attestations as svc
from ombuds.members.models import AttestationCampaign
from tests.members.conftest import publish_v2, start

pytestmark = pytest.mark.django_db


def own_attest(world, name: str, campaign):
    person = world.person(name)
    return svc.attest(person=person, user=person.user, statement_confirmed=True, campaign=campaign)


def test_publishing_a_new_version_closes_the_superseded_campaign_with_events(world, other_body):
    campaign = start(world)
    asked = campaign.dues.count()
    v2 = publish_v2(world)
    campaign.refresh_from_db()
    assert campaign.closed_at is not None and campaign.superseded_by == v2
    published = Event.objects.get(action="code.version_published", subject_id=str(v2.pk))
    superseded = Event.objects.get(
        action="attestation.campaign_superseded", subject_id=str(campaign.pk)
    )
    assert published.seq < superseded.seq
    assert superseded.data["superseded_by"] == "v2" and superseded.data["people"] == asked
    # A campaign for the new version is not touched by the next publication of another draft.
    fresh = start(world, version=v2)
    assert fresh.closed_at is None


def test_a_failing_listener_undoes_the_publication(world, monkeypatch):
    campaign = start(world)

    def broken(*, version, acting_user=None):
        raise IntegrityError("boom")

    monkeypatch.setattr(hooks, "_listeners", [*hooks._listeners, broken])
    with pytest.raises(IntegrityError):
        publish_v2(world)
    assert not CodeVersion.objects.filter(label="v2", status="published").exists()
    campaign.refresh_from_db()
    assert campaign.closed_at is None
    assert not Event.objects.filter(action="attestation.campaign_superseded").exists()


def test_the_members_home_no_longer_lists_a_superseded_campaign(client, world):
    campaign = start(world)
    ann = world.user("ann")
    assert [d.campaign.pk for d in svc.open_dues_for_user(ann)] == [campaign.pk]
    client.force_login(ann)
    home = reverse("me:home")
    assert campaign.title in client.get(home).content.decode()
    publish_v2(world)
    assert svc.open_dues_for_user(ann) == []
    assert campaign.title not in client.get(home).content.decode()


def test_a_campaign_left_open_on_a_superseded_version_is_not_pending_either(world):
    campaign = start(world)
    publish_v2(world)
    # As a campaign opened before publication closed campaigns would be.
    AttestationCampaign.objects.filter(pk=campaign.pk).update(closed_at=None, superseded_by=None)
    assert svc.open_dues_for_user(world.user("ann")) == []


@pytest.mark.parametrize(("material", "expected"), [(False, "attested"), (True, "outdated")])
def test_the_material_change_rule_decides_what_carries_into_the_new_campaign(
    world, material, expected
):
    campaign = start(world)
    own_attest(world, "ann", campaign)
    v2 = publish_v2(world)
    fresh = start(world, version=v2, material=material)
    due = fresh.dues.select_related("campaign__code_version").get(person=world.person("ann"))
    assert svc.due_status(due).status == expected


def test_the_attest_page_shows_what_changed_since_the_version_last_attested(client, world):
    campaign = start(world)
    own_attest(world, "ann", campaign)
    v2 = publish_v2(world)
    fresh = start(world, version=v2)
    client.force_login(world.user("ann"))
    html = client.get(reverse("attest:attest", kwargs={"campaign": fresh.pk})).content.decode()
    assert "What changed since version v1" in html
    assert '<ins><span class="visually-hidden">added: </span>trust</ins>' in html
    assert "Members may publish their fees." in html  # 2.2, added
    # Someone who never attested sees the version only, not a comparison.
    client.force_login(world.user("ben"))
    html = client.get(reverse("attest:attest", kwargs={"campaign": fresh.pk})).content.decode()
    assert "What changed since" not in html


def test_a_superseded_campaigns_page_says_why_it_closed(client, world):
    campaign = start(world)
    publish_v2(world)
    client.force_login(world.user("ann"))
    html = client.get(reverse("attest:attest", kwargs={"campaign": campaign.pk})).content.decode()
    assert "was superseded by version v2" in html and 'name="confirm"' not in html
    client.force_login(world.user("body_staff"))
    page = reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk})
    assert "when version v2 was published" in client.get(page).content.decode()


def test_coverage_is_drawn_as_a_bar_with_its_words_kept(client, world):
    campaign = start(world)
    own_attest(world, "ann", campaign)
    client.force_login(world.user("body_staff"))
    html = client.get(
        reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk})
    ).content.decode()
    assert "1 of 2 attested (50%)." in html
    assert '<svg class="bar"' in html and '<rect width="50%"' in html
    listing = client.get(reverse("attest:campaigns", kwargs={"org": "guild"})).content.decode()
    assert "1 of 2 (50%)" in listing and '<rect width="50%"' in listing
