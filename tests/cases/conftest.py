"""Case fixtures: a CSEC-like body on the Article 5 procedure and an ESPCC-like body on its ethics
procedure, each with a published code, its people with their roles (and one committee member to
recuse), and the respondents a complaint can be about: a member agency, an agency that is not a
member, and a credential holder.

`file_case(body, ...)` files a complaint through the service, as the public form does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Case
from ombuds.codes import services as codes
from ombuds.codes.models import CodeVersion, Provision
from ombuds.codes.parser import ParsedCode
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from tests.conftest import small_code

ROLES = ("ethics_chair", "committee_member", "investigator", "staff", "administrator")


def espcc_code() -> ParsedCode:
    """A short code in the shape of the CESP Code of Conduct (not its full text)."""
    leaf = {"modality": "obligation", "subject": "Credential holders"}
    return ParsedCode.from_dict(
        {
            "title": "CESP Code of Conduct",
            "issuer": "ESPCC",
            "effective": "2024-01-01",
            "preamble": ["Credential holders and candidates keep these standards."],
            "provisions": [
                {
                    "label": "2",
                    "citation": "2",
                    "heading": "Adherence to ESPCC Policies & Requirements",
                    "children": [
                        {
                            "label": "2.2",
                            "citation": "2.2",
                            "text": "Provide accurate and complete information to ESPCC.",
                            "full_text": "Provide accurate and complete information to ESPCC.",
                            **leaf,
                        },
                        {
                            "label": "2.4",
                            "citation": "2.4",
                            "text": "Cooperate with ESPCC regarding complaint and/or "
                            "disciplinary investigations.",
                            "full_text": "Cooperate with ESPCC regarding complaint and/or "
                            "disciplinary investigations.",
                            **leaf,
                        },
                    ],
                },
                {
                    "label": "3",
                    "citation": "3",
                    "heading": "Professional Performance",
                    "children": [
                        {
                            "label": "3.2",
                            "citation": "3.2",
                            "text": "Act honestly in all professional interactions.",
                            "full_text": "Act honestly in all professional interactions.",
                            **leaf,
                        }
                    ],
                },
            ],
            "warnings": [],
        }
    )


@dataclass
class Body:
    """A body taking complaints, with its code, its people and the respondents on its register."""

    org: Organization
    version: CodeVersion
    people: dict[str, Any]
    member_agency: Agency | None = None
    membership: Membership | None = None
    non_member_agency: Agency | None = None
    holder: Person | None = None
    credential: Credential | None = None
    default_citation: str = ""

    @property
    def chair(self):
        return self.people["ethics_chair"]

    @property
    def committee(self):
        return self.people["committee_member"]

    @property
    def investigator(self):
        return self.people["investigator"]

    @property
    def staff(self):
        return self.people["staff"]

    @property
    def admin(self):
        return self.people["administrator"]

    @property
    def recused(self):
        return self.people["recused_member"]

    def provision(self, citation: str) -> Provision:
        return Provision.objects.get(version=self.version, citation=citation)


def _people(django_user_model, org: Organization) -> dict[str, Any]:
    people = {}
    for role in (*ROLES, "recused_member"):
        username = f"{org.slug}-{role.replace('_', '-')}"
        user = django_user_model.objects.create_user(
            username,
            f"{username}@example.org",
            "pw-not-used",
            first_name=role.replace("_", " ").title(),
        )
        BodyRole.objects.create(
            user=user,
            organization=org,
            role="committee_member" if role == "recused_member" else role,
        )
        people[role] = user
    return people


def _body(
    slug: str, name: str, acronym: str, procedure_key: str, parsed: ParsedCode, users, cite: str
) -> Body:
    org = Organization.objects.create(
        slug=slug, name=name, acronym=acronym, contact_email=f"ethics@{slug}.example"
    )
    BodyProcedure.objects.create(organization=org, procedure_key=procedure_key)
    version, _ = codes.code_version_import(
        organization=org, parsed=parsed, source=f"{slug} v1".encode(), label="v1", publish=True
    )
    return Body(org=org, version=version, people=_people(users, org), default_citation=cite)


def far_renewal() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=700)


@pytest.fixture
def csec(db, django_user_model) -> Body:
    """CSEC: complaints about any agency under Article 5; one member agency, one agency that is not
    a member."""
    body = _body(
        "csec",
        "Child Support Enforcement Council",
        "CSEC",
        "csec-article-5",
        small_code(),
        django_user_model,
        "1.1(a)",
    )
    agency_type = MembershipType.objects.create(
        organization=body.org, code="agency", name="Member agency", kind="organization"
    )
    body.member_agency = Agency.objects.create(
        organization=body.org,
        legal_name="Faithful Support Recovery LLC",
        email="office@faithful.example",
    )
    body.membership = Membership.objects.create(
        organization=body.org,
        membership_type=agency_type,
        agency=body.member_agency,
        number="CSEC-017",
        status="active",
        start_date=dt.date(2020, 7, 1),
        renewal_date=far_renewal(),
    )
    body.non_member_agency = Agency.objects.create(
        organization=body.org, legal_name="Rogue Collections Inc", email="desk@rogue.example"
    )
    return body


@pytest.fixture
def espcc(db, django_user_model) -> Body:
    """ESPCC: complaints about CESP credential holders; one holder with an active credential."""
    body = _body(
        "espcc",
        "Employment Support Professional Certification Council",
        "ESPCC",
        "espcc-ethics",
        espcc_code(),
        django_user_model,
        "3.2",
    )
    program = CredentialProgram.objects.create(
        organization=body.org,
        code="cesp",
        name="Certified Employment Support Professional",
        abbreviation="CESP",
    )
    body.holder = Person.objects.create(
        organization=body.org,
        given_name="Jordan",
        family_name="Holder",
        email="jordan@cesp.example",
    )
    body.credential = Credential.objects.create(
        program=program,
        holder=body.holder,
        number="CESP-1234",
        status="active",
        issued_on=dt.date(2022, 7, 1),
        expires_on=far_renewal(),
    )
    return body


def complaint(body: Body, **fields: Any) -> services.Complaint:
    """A complaint as the public form sends it: named (Pat Complainant, with an email), about the
    body's member agency or credential holder unless told otherwise, citing the first provision."""
    values: dict[str, Any] = {
        "what_happened": "They kept my support payment for three months.",
        "complainant_name": "Pat Complainant",
        "complainant_email": "pat@example.org",
        "complainant_relation": Case.Relation.CLIENT,
    }
    if "respondent_agency" not in fields and "respondent_person" not in fields:
        if body.member_agency is not None:
            values["respondent_agency"] = body.member_agency
        elif body.holder is not None:
            values["respondent_person"] = body.holder
    citations = fields.pop("citations", None)
    if citations is None:
        citations = [body.default_citation]
    values["provisions"] = [body.provision(c) for c in citations]
    values.update(fields)
    return services.Complaint(**values)


def file_case(body: Body, *, recuse: bool = False, drafted: bool = True, **fields: Any) -> Case:
    """File a complaint (see `complaint`); with ``recuse``, the body's recused committee member is
    recused from it by the chair. Unless ``drafted=False``, allegation 1 stands as the body's draft
    rather than the complainant's words (what `allegation_edit` does, without its event), so that
    the step notifying the respondent is not held for it (tests/cases/test_allegation_drafting.py
    tests that hold)."""
    case = services.case_file(organization=body.org, complaint=complaint(body, **fields)).case
    if drafted:
        case.allegations.update(verbatim=False)
    if recuse:
        services.recusal_record(
            case=case, user=body.recused, reason="Declared a conflict.", acting_user=body.chair
        )
        case.refresh_from_db()
    return case


def take(
    case: Case, step: str, user: Any = None, *, files: dict | None = None, **inputs: Any
) -> Case:
    """Take a step of the case's procedure as ``user`` (their roles on the case)."""
    return services.case_step(case=case, step=step, acting_user=user, inputs=inputs, files=files)


def case_events(case: Case) -> list[str]:
    """The actions on the case's record, in order."""
    from ombuds.audit.models import Event

    return list(
        Event.objects.filter(subject_type="case", subject_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# A PDF with one blank page, as small as a real one gets: what is shared with the respondent must
# open to be cleaned of its metadata (ombuds.cases.cleaning).
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def end_appeal_window(case: Case) -> Case:
    """Let the case's appeal period pass without an appeal (the daily clock, a day after it is
    due): both shipped procedures put the committee's sanction on the register then."""
    appeal = case.deadlines.get(name="appeal", met_at__isnull=True, expired_at__isnull=True)
    services.deadlines_tick(today=appeal.due_on + dt.timedelta(days=1))
    case.refresh_from_db()
    return case
