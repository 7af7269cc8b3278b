"""A body (the Guild, with its two-article test code published) awarding one credential, CGP, with
requirements written for the tests; a candidate with an account; and helpers that take an
application to each stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ombuds.certification import services
from ombuds.certification.models import Application, ExamWindow
from ombuds.codes.selectors import current_version
from ombuds.register.models import CredentialProgram, Person

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)

REQUIREMENTS = """
[programme]
key = "guild_cgp"
version = "1"
credential = "cgp"
name = "Certified Guild Practitioner"
number_prefix = "CGP-"

[application]
review_days = 20
information_days = 14
eligibility_days = 200

[[evidence]]
key = "education"
kind = "education"
label = "Education"
levels = [{ key = "school", label = "School" }, { key = "degree", label = "Degree" }]

[[evidence]]
key = "experience"
kind = "experience"
label = "Practice"
unit = "hours"
document = "optional"

[[route]]
key = "degree"
label = "A degree and 100 hours"
education = "degree"
experience = 100

[[route]]
key = "school"
label = "School and 500 hours"
education = "school"
experience = 500

[[declaration]]
key = "accurate"
cites = "1.2"
text = "What I say here is true and complete."

[agreement]
cites = "2.1"
text = "I keep the examination confidential."

[exam]
pass_score = 70
max_attempts = 2
retake_wait_days = 30
"""

EVIDENCE = {
    "education": {"level": "degree", "details": "BA, Guild College, 2019"},
    "experience": {"amount": "150", "details": "Acme Practice, 2020-2024"},
}


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        required_units=Decimal("10.0"),
    )


@pytest.fixture
def requirements(program, published):
    return services.requirements_install(organization=program.organization, text=REQUIREMENTS)


@pytest.fixture
def candidate(db, django_user_model, body):
    user = django_user_model.objects.create_user(
        "cara@example.org", "cara@example.org", "pw", first_name="Cara", last_name="Ng"
    )
    Person.objects.create(
        organization=body, given_name="Cara", family_name="Ng", email="cara@example.org", user=user
    )
    return user


@pytest.fixture
def window(program, personas) -> ExamWindow:
    today = dt.date.today()
    return services.window_save(
        program=program,
        values={
            "code": "2026-spring",
            "name": "Spring sitting",
            "opens_on": today - dt.timedelta(days=30),
            "closes_on": today + dt.timedelta(days=30),
        },
        acting_user=personas["body_staff"],
    )


def fresh(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def version(application: Application) -> str:
    return fresh(application).updated_at.isoformat(timespec="microseconds")


def submitted(program, user, *, evidence: dict | None = None) -> Application:
    application = services.application_open(program=program, user=user)
    services.application_save(
        application=application,
        identity={k: getattr(application, k) for k in ("given_name", "family_name", "email")},
        evidence=evidence or EVIDENCE,
        expected_version=None,
        acting_user=user,
    )
    services.document_add(
        application=application,
        evidence_key="education",
        name="diploma.pdf",
        data=PDF,
        acting_user=user,
    )
    return services.application_submit(
        application=application,
        confirmed=["accurate"],
        agreement=True,
        code_version=current_version(program.organization),
        expected_version=None,
        acting_user=user,
    )


def review(application: Application, decision: str, staff: Any, reason: str = "") -> Application:
    return services.application_review(
        application=application,
        decision=decision,
        reason=reason,
        expected_version=version(application),
        acting_user=staff,
    )


def eligible(program, user, staff) -> Application:
    application = submitted(program, user)
    review(application, "complete", staff)
    return review(application, "eligible", staff)
