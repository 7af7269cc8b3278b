"""A small world for the API's own tests: a body with a published code and one credential of its
register (the public reads' real identifiers), and a staff token for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from ombuds.register.models import Credential, CredentialProgram, Person
from ombuds.register.tokens import token_create


@dataclass
class Small:
    org: str
    citation: str
    version: str
    number: str
    staff_token: str


@pytest.fixture
def small(body, published, personas) -> Small:
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    person = Person.objects.create(organization=body, given_name="Ann", family_name="Smith")
    Credential.objects.create(
        program=program,
        holder=person,
        number="CGP-0001",
        status="active",
        issued_on=dt.date(2023, 1, 15),
    )
    provision = published.provisions.exclude(citation="").order_by("pk").first()
    return Small(
        org=body.slug,
        citation=provision.citation,
        version=published.label,
        number="CGP-0001",
        staff_token=token_create(user=personas["body_admin"], organization=body, name="api")[1],
    )
