"""A body with one programme and active credentials valid until well after today."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from ombuds.register.models import Credential, CredentialProgram, Person

ISSUED = dt.date(2025, 1, 15)
EXPIRES = dt.date(2099, 1, 14)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )


@pytest.fixture
def make_credential(program):
    numbers = itertools.count(1)

    def make(status: str = "active", *, user=None, program=program, **fields) -> Credential:
        n = next(numbers)
        holder = Person.objects.create(
            organization=program.organization,
            given_name="Ana",
            family_name=f"Dvořák {n}",
            user=user,
        )
        values = {"issued_on": ISSUED, "expires_on": EXPIRES, "suspended_until": None}
        if status == "candidate":
            values.update(issued_on=None, expires_on=None)
        if status == "suspended":
            values["suspended_until"] = dt.date(2099, 1, 1)
        values.update(fields)
        return Credential.objects.create(
            program=program, holder=holder, number=f"CGP-{n:04d}", status=status, **values
        )

    return make
