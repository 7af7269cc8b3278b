"""Register fixtures: one credential program, and factories for credentials and memberships in any state.

A test module that defines its own `program` (or any other fixture here) keeps its own.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from ombuds.register.models import (
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)

# The dates the factories give by default: all in the past, so that a manual change dated on them
# is never refused as future-dated.
ISSUED = dt.date(2022, 7, 1)
EXPIRES = dt.date(2025, 6, 30)
RENEWAL = dt.date(2025, 6, 30)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        cycle_months=36,
        grace_days=90,
    )


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("sam", "sam@example.org", "pw-not-used")


@pytest.fixture
def make_credential(program):
    """make_credential("suspended") → a credential in that state, held by a new person, with the
    dates the database requires of that state. Dates can be given: expires_on=..., etc."""
    numbers = itertools.count(1)

    def make(status: str = "active", *, program: CredentialProgram = program, **dates):
        n = next(numbers)
        holder = Person.objects.create(
            organization=program.organization, given_name="Holder", family_name=f"No. {n}"
        )
        fields = {"issued_on": ISSUED, "expires_on": EXPIRES, "suspended_until": None}
        if status == "candidate":
            fields.update(issued_on=None, expires_on=None)
        if status == "suspended":
            fields["suspended_until"] = dt.date(2025, 9, 1)
        fields.update(dates)
        return Credential.objects.create(
            program=program, holder=holder, number=f"CGP-{n:04d}", status=status, **fields
        )

    return make


@pytest.fixture
def membership_type(body) -> MembershipType:
    return MembershipType.objects.create(
        organization=body, code="individual", name="Individual member", kind="individual"
    )


@pytest.fixture
def make_membership(body, membership_type):
    """make_membership("grace") → a person's membership in that state (renewal date 2025-06-30)."""
    numbers = itertools.count(1)

    def make(status: str = "active", **fields):
        n = next(numbers)
        person = Person.objects.create(
            organization=body, given_name="Member", family_name=f"No. {n}"
        )
        values = {
            "start_date": None if status == "applicant" else dt.date(2020, 7, 1),
            "renewal_date": RENEWAL,
            "suspended_until": dt.date(2025, 9, 1) if status == "suspended" else None,
        }
        values.update(fields)
        return Membership.objects.create(
            organization=body,
            membership_type=membership_type,
            person=person,
            number=f"M-{n:04d}",
            status=status,
            **values,
        )

    return make
