"""The world the input fuzz tests run in: the demo, a staff token of one of its bodies (every scope)
and a member token of someone in that body's register, and real values for the path arguments
(a case's reference, a credential's number, a disclosure's id...), so that the requests reach the
code behind the look-ups and not only their 404s."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import Case
from ombuds.compliance.models import Finding
from ombuds.members import services as members
from ombuds.members.models import Disclosure
from ombuds.register.models import Affiliation, Agency, Credential, Membership, Person
from ombuds.register.tokens import token_create


@dataclass
class World:
    body: Organization
    staff: object  # an administrator of the body
    member: object  # a member of the body's register with an account and no role
    staff_token: str
    member_token: str
    values: dict[str, str]  # a real value for each path argument, by its name


@pytest.fixture
def world(demo) -> World:
    body = Organization.objects.get(slug="csec")
    staff = get_user_model().objects.create_user("fuzz-admin", "fuzz-admin@example.org", "pw")
    BodyRole.objects.create(user=staff, organization=body, role="administrator")
    person = Person.objects.filter(organization=body, user__isnull=False).first()
    if person is None:  # the demo links no account in this body: link one
        person = Person.objects.filter(organization=body).first()
        person.user = get_user_model().objects.create_user("fuzz-member", "m@example.org", "pw")
        person.save(update_fields=["user"])
    member = person.user
    disclosure = members.disclosure_save(
        user=staff,
        organization=body,
        relationship=Disclosure.Relationship.values[0],
        party_name="Somebody Else",
        nature="A friend.",
    )
    case = Case.objects.filter(organization=body).first()
    agency = Agency.objects.filter(organization=body).first()
    credential = Credential.objects.filter(program__organization=body).first()
    membership = Membership.objects.filter(organization=body).first()
    affiliation = Affiliation.objects.filter(agency__organization=body).first()
    if agency is not None:  # the member administers an agency: its compliance endpoints open
        Affiliation.objects.create(agency=agency, person=person, role="employee", agency_admin=True)
    finding = Finding.objects.filter(organization=body).first()
    values = {
        "org": body.slug,
        "reference": case.reference if case else "X",
        "external_id": agency.external_id if agency else "X",
        "number": (membership or credential).number if (membership or credential) else "X",
        "disclosure_id": str(disclosure.pk),
        "affiliation_id": str(affiliation.pk) if affiliation else "1",
        "citation": "1",
        "pk": str(disclosure.pk),
        "agency_id": str(agency.pk) if agency else "1",
        "finding_id": str(finding.pk) if finding else "1",
    }
    return World(
        body=body,
        staff=staff,
        member=member,
        staff_token=token_create(user=staff, organization=body, name="fuzz")[1],
        member_token=token_create(user=member, organization=body, name="fuzz", scope="member")[1],
        values=values,
    )
