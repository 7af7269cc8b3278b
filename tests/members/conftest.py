"""Attestation fixtures: the guild (tests/conftest.py's `body`) with its code published, and its
register: an individual member, a credential holder, two member agencies with their employees,
agents, principals and administrators, and an agency that is not a member.

Everyone with a sign-in has their account linked to their own register record (`Person.user`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.codes import services as codes
from ombuds.codes.models import CodeVersion
from ombuds.members import attestations
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from tests.conftest import small_code

STATEMENT = "I have read, understand and agree to abide by all provisions of this code."


@dataclass
class World:
    body: Organization
    v1: CodeVersion
    users: dict[str, Any]
    people: dict[str, Person]
    agency_a: Agency
    agency_b: Agency
    outsider_agency: Agency
    individual: MembershipType
    agency_kind: MembershipType
    program: CredentialProgram

    def person(self, name: str) -> Person:
        return self.people[name]

    def user(self, name: str):
        return self.users[name]


_numbers = itertools.count(100)


def add_person(world: World, name: str, *, account: bool = False, email: bool = True) -> Person:
    """A person of the guild's register, with their own sign-in when ``account``."""
    user = None
    if account:
        user = world.users.get(name) or _make_user(name)
        world.users[name] = user
    person = Person.objects.create(
        organization=world.body,
        given_name=name.capitalize(),
        family_name="Example",
        email=f"{name}@register.example" if email else "",
        user=user,
    )
    world.people[name] = person
    return person


def _make_user(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(name, f"{name}@account.example", "pw-not-used")


def make_member(world: World, name: str, *, status: str = "active", **kwargs: Any) -> Person:
    person = add_person(world, name, **kwargs)
    Membership.objects.create(
        organization=world.body,
        membership_type=world.individual,
        person=person,
        number=f"M-{next(_numbers)}",
        status=status,
        start_date=dt.date(2020, 1, 1),
    )
    return person


def make_staff(
    world: World,
    name: str,
    agency: Agency,
    *,
    role: str = "employee",
    admin: bool = False,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    **kwargs: Any,
) -> Person:
    person = add_person(world, name, **kwargs)
    Affiliation.objects.create(
        agency=agency,
        person=person,
        role=role,
        agency_admin=admin,
        start_date=start_date,
        end_date=end_date,
    )
    return person


def publish_v2(world: World, label: str = "v2") -> CodeVersion:
    version, _ = codes.code_version_import(
        organization=world.body,
        parsed=small_code(changed=True),
        source=label.encode(),
        label=label,
        publish=True,
    )
    return version


def start(world: World, *, version: CodeVersion | None = None, **fields: Any):
    values = {
        "organization": world.body,
        "code_version": version or world.v1,
        "audience": "all_members",
        "due_on": timezone.localdate() + dt.timedelta(days=30),
        "statement": STATEMENT,
        "reminder_days": [14, 3],
        "new_joiner_days": 30,
    }
    values.update(fields)
    return attestations.campaign_start(**values)


@pytest.fixture
def world(body, published, personas) -> World:
    individual = MembershipType.objects.create(
        organization=body, code="individual", name="Individual member", kind="individual"
    )
    agency_kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    agencies = []
    for n, (name, status) in enumerate(
        [("Alpha Support LLC", "active"), ("Beta Recovery Inc", "grace"), ("Gamma Collections", "")]
    ):
        agency = Agency.objects.create(organization=body, legal_name=name, email=f"a{n}@ag.example")
        if status:
            Membership.objects.create(
                organization=body,
                membership_type=agency_kind,
                agency=agency,
                number=f"AG-{n}",
                status=status,
            )
        agencies.append(agency)
    world = World(
        body=body,
        v1=published,
        users=dict(personas),
        people={},
        agency_a=agencies[0],
        agency_b=agencies[1],
        outsider_agency=agencies[2],
        individual=individual,
        agency_kind=agency_kind,
        program=program,
    )
    make_member(world, "ann", account=True)
    holder = add_person(world, "ben", account=True)
    Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-1",
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2030, 1, 1),
    )
    make_member(world, "lapsed", status="lapsed")
    make_staff(world, "cara", world.agency_a, account=True)
    make_staff(world, "dan", world.agency_a, role="agent")
    make_staff(world, "adam", world.agency_a, admin=True, account=True)
    make_staff(world, "pia", world.agency_a, role="principal")
    make_staff(world, "old", world.agency_a, end_date=timezone.localdate() - dt.timedelta(days=1))
    make_staff(world, "eve", world.agency_b, account=True)
    make_staff(world, "bella", world.agency_b, admin=True, account=True)
    make_staff(world, "gus", world.outsider_agency)
    return world
