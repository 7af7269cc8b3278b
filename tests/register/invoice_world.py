"""Fixtures of the invoice tests: the guild (tests/conftest.py's `body`) with a credential holder who
has an account, an agency with its administrator, and invoices made through the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ombuds.register import invoices
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Invoice,
    Person,
)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def cgp(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )


@pytest.fixture
def holder_user(django_user_model):
    return django_user_model.objects.create_user("hana", "hana@example.org", "pw-not-used")


@pytest.fixture
def holder(body, holder_user) -> Person:
    return Person.objects.create(
        organization=body,
        given_name="Hana",
        family_name="Holder",
        external_id="P-1",
        email="hana@register.example",
        user=holder_user,
    )


@pytest.fixture
def credential(cgp, holder) -> Credential:
    return Credential.objects.create(
        program=cgp,
        holder=holder,
        number="CGP-1",
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=days(60),
    )


@pytest.fixture
def agency(body, django_user_model) -> Agency:
    found = Agency.objects.create(
        organization=body, legal_name="Alpha Support LLC", external_id="A-1"
    )
    admin = django_user_model.objects.create_user("ada", "ada@example.org", "pw-not-used")
    person = Person.objects.create(
        organization=body, given_name="Ada", family_name="Admin", user=admin
    )
    Affiliation.objects.create(agency=found, person=person, role="employee", agency_admin=True)
    found.admin_user = admin
    return found


def issue(
    body,
    *,
    kind="renewal",
    amount="150.00",
    person=None,
    agency=None,
    credential=None,
    due=30,
    number="",
    user=None,
) -> Invoice:
    return invoices.invoice_issue(
        organization=body,
        payer=invoices.Payer(person=person, agency=agency, credential=credential),
        fee=invoices.Fee(
            kind=kind,
            amount=Decimal(amount),
            currency="USD",
            due_on=days(due),
            description=f"{kind} fee",
            number=number,
        ),
        acting_user=user,
    )
