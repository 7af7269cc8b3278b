"""Compliance fixtures: a council whose code has CSEC's numbering (1.1 to 1.4, lettered parts) in
the tests' own words, CSEC's shipped programme installed, two agencies, their administrators, a
member who is not one, the council's staff; and synthetic returns written to the test's folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ombuds.bodies.models import BodyRole, Organization
from ombuds.codes import services as codes
from ombuds.codes.parser import ParsedCode
from ombuds.compliance import services
from ombuds.register.models import Affiliation, Agency, Person

PROGRAMME = (
    Path(__file__).parents[2] / "ombuds" / "compliance" / "programmes" / "csec-compliance.toml"
)
PARTS = {"1.1": "abc", "1.2": "abcd", "1.3": "abcd", "1.4": "abc"}


def numbered_code() -> ParsedCode:
    """A code numbered like CSEC's first article; the words are placeholders of the tests."""
    sections = []
    for number, letters in PARTS.items():
        children = [
            {
                "label": f"({x})",
                "citation": f"{number}({x})",
                "text": f"do duty {number}({x})",
                "full_text": f"Members shall do duty {number}({x})",
                "modality": "obligation",
                "subject": "Members",
            }
            for x in letters
        ]
        sections.append(
            {"label": number, "citation": number, "text": "Members shall:", "children": children}
        )
    return ParsedCode.from_dict(
        {
            "title": "Test council code",
            "issuer": "Test Council",
            "effective": "2024-01-01",
            "preamble": [],
            "provisions": [
                {"label": "1", "citation": "1", "heading": "Clients", "children": sections}
            ],
            "warnings": [],
        }
    )


@dataclass
class Council:
    body: Organization
    agency: Agency
    other_agency: Agency
    users: dict[str, Any]


def _person(body, django_user_model, name: str, agency: Agency, *, admin: bool) -> Any:
    user = django_user_model.objects.create_user(name, f"{name}@example.org", "pw-not-used")
    person = Person.objects.create(
        organization=body, given_name=name.title(), family_name="Test", user=user
    )
    Affiliation.objects.create(agency=agency, person=person, role="employee", agency_admin=admin)
    return user


@pytest.fixture
def council(db, django_user_model) -> Council:
    body = Organization.objects.create(slug="council", name="Test Council", acronym="CSEC")
    codes.code_version_import(organization=body, parsed=numbered_code(), label="v1", publish=True)
    services.programme_install(organization=body, text=PROGRAMME.read_text(), label="tests")
    agency = Agency.objects.create(organization=body, legal_name="First Recovery Ltd")
    other = Agency.objects.create(organization=body, legal_name="Second Recovery Ltd")
    staff = django_user_model.objects.create_user("stella", "stella@example.org", "pw-not-used")
    BodyRole.objects.create(user=staff, organization=body, role="staff")
    users = {
        "agency_admin": _person(body, django_user_model, "ada", agency, admin=True),
        "agency_employee": _person(body, django_user_model, "eve", agency, admin=False),
        "other_agency_admin": _person(body, django_user_model, "otto", other, admin=True),
        "body_staff": staff,
        "no_role": django_user_model.objects.create_user("nora", "n@example.org", "pw-not-used"),
    }
    return Council(body, agency, other, users)
