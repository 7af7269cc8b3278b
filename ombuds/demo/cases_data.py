"""Demo cases for ESPCC and CSEC in varied states, made through the same services as the pages (so
every one is on the audit record), and the people who work on them: a chair, a committee member and
an investigator per body. Deterministic, and loading twice changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.demo import citations
from ombuds.register.models import Agency, Credential, Membership

PROOF = b"%PDF-1.4\n% Demo: letters between the complainant and the agency\n%%EOF\n"
EFFORTS = ("request_efforts", {"message": "Please send copies of your letters to the agency."})
ROLES = (
    ("chair", "ethics_chair"),
    ("committee", "committee_member"),
    ("investigator", "investigator"),
)


def load_people(organization: Organization, password: str | None) -> list[str]:
    """The body's case workers, named <body>-chair, <body>-committee, <body>-investigator, with the
    demo administrator's password (when it is known)."""
    User = get_user_model()
    names = []
    for suffix, role in ROLES:
        username = f"{organization.slug}-{suffix}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username, f"{username}@example.org", password, first_name=suffix.capitalize()
            )
            if password is None:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        BodyRole.objects.get_or_create(user=user, organization=organization, role=role)
        names.append(username)
    return names


def _user(organization: Organization, suffix: str):
    return get_user_model().objects.get(username=f"{organization.slug}-{suffix}")


def _file(organization, *, respondent, name, what, anonymous=False, who="", email="", key):
    """A complaint filed with the body, citing the provisions `citations.CASES[key]` lists."""
    person = respondent if hasattr(respondent, "given_name") else None
    agency = respondent if respondent is not None and person is None else None
    return services.case_file(
        organization=organization,
        complaint=services.Complaint(
            what_happened=what,
            respondent_name=name,
            respondent_person=person,
            respondent_agency=agency,
            anonymous=anonymous,
            passphrase="demo passphrase" if anonymous else "",
            complainant_name=who,
            complainant_email=email,
            complainant_relation="client",
            consent_to_share=bool(who),
            happened_on=timezone.localdate() - dt.timedelta(days=40),
            provisions=citations.provisions(organization, citations.CASES[key]),
            submission_key=f"demo-{key}",
        ),
    ).case


def _steps(case: Case, user, *steps: tuple[str, dict] | str) -> Case:
    for step in steps:
        name, inputs = (step, {}) if isinstance(step, str) else step
        files = {}
        if name == "efforts_received":
            files = {"efforts_proof": ("letters.pdf", PROOF)}
        case = services.case_step(
            case=case, step=name, acting_user=user, inputs=inputs, files=files
        )
    return case


def _decide(case: Case, user, determination: str, reasons: str) -> None:
    for allegation in case.allegations.all():
        services.determination_record(
            allegation=allegation, determination=determination, reasons=reasons, acting_user=user
        )


def load_csec(organization: Organization) -> str:
    if Case.objects.filter(organization=organization).exists():
        return "CSEC cases already loaded"
    chair, committee = _user(organization, "chair"), _user(organization, "committee")
    members = list(
        Membership.objects.filter(organization=organization, agency__isnull=False, status="active")
        .select_related("agency")
        .order_by("number")[:5]
    )
    agencies = [m.agency for m in members]
    _file(
        organization,
        respondent=None,
        name="Swiftpay Recovery Group",
        what="Their letter said they were the state child support office and threatened my "
        "ex-husband with arrest.",
        anonymous=True,
        key="csec-1",
    )
    _csec_awaiting_efforts(organization, agencies[0], chair)
    _csec_efforts_waived(organization, agencies[1], chair)
    _csec_before_the_committee(organization, agencies[2], chair)
    _csec_censured(organization, agencies[3], chair, committee)
    _csec_withdrawn(organization, agencies[4], chair)
    return "CSEC cases: 6 loaded"


def _csec_awaiting_efforts(organization: Organization, agency: Agency, chair) -> None:
    case = _file(
        organization,
        respondent=agency,
        name=agency.legal_name,
        what="Payments collected in March and April were not paid to me for eight weeks.",
        who="Dana Whitfield",
        email="dana.whitfield@example.org",
        key="csec-2",
    )
    _steps(
        case,
        chair,
        "acknowledge",
        ("request_efforts", {"message": "Please send copies of your letters to the agency."}),
    )


def _csec_efforts_waived(organization: Organization, agency: Agency, chair) -> None:
    case = _file(
        organization,
        respondent=agency,
        name=agency.legal_name,
        what="I was never given a copy of my contract although I asked for it twice.",
        who="Luis Ortega",
        email="luis.ortega@example.org",
        key="csec-3",
    )
    _steps(
        case,
        chair,
        "acknowledge",
        ("waive_efforts", {"waiver_reason": "The agency refused to take the complainant's calls."}),
        "notify_member",
    )


def _csec_before_the_committee(organization: Organization, agency: Agency, chair) -> None:
    case = _file(
        organization,
        respondent=agency,
        name=agency.legal_name,
        what="Fees were deducted that the contract does not mention.",
        who="Priya Raman",
        email="priya.raman@example.org",
        key="csec-4",
    )
    case = _steps(case, chair, "acknowledge", EFFORTS, "efforts_received", "notify_member")
    services.respondent_answer(
        case=case, body="The fees are in schedule B of the contract, attached.", files=[]
    )
    _steps(
        case,
        chair,
        "investigate",
        ("to_committee", {"summary": "Schedule B does not list the deducted fees."}),
    )


def _csec_censured(organization: Organization, agency: Agency, chair, committee) -> None:
    case = _file(
        organization,
        respondent=agency,
        name=agency.legal_name,
        what="The agency kept my support payments in its own account for months.",
        who="Grace Mbeki",
        email="grace.mbeki@example.org",
        key="csec-5",
    )
    case = _steps(case, chair, "acknowledge", EFFORTS, "efforts_received", "notify_member")
    services.respondent_answer(case=case, body="We dispute the timeline.", files=[])
    case = _steps(
        case, chair, "investigate", ("to_committee", {"summary": "Bank records confirm it."})
    )
    _decide(case, committee, "upheld", "Bank records show funds held for 94 days.")
    case = _steps(case, committee, "uphold")
    services.sanction_choose(
        case=case,
        kind="censure",
        summary="Public censure for failing to keep client trust accounts and pay clients on time.",
        effective_from=timezone.localdate(),
        publication="public",
        acting_user=committee,
    )
    _steps(case, committee, "impose_sanction")


def _csec_withdrawn(organization: Organization, agency: Agency, chair) -> None:
    case = _file(
        organization,
        respondent=agency,
        name=agency.legal_name,
        what="They were rude to me on the phone.",
        who="Sam Okafor",
        email="sam.okafor@example.org",
        key="csec-6",
    )
    _steps(
        case,
        chair,
        "acknowledge",
        ("dismiss", {"ground": "withdrawn", "reasons": "The complainant withdrew the complaint."}),
    )


def load_espcc(organization: Organization) -> str:
    if Case.objects.filter(organization=organization).exists():
        return "ESPCC cases already loaded"
    chair, committee = _user(organization, "chair"), _user(organization, "committee")
    holders = [
        c.holder
        for c in Credential.objects.filter(program__organization=organization, status="active")
        .select_related("holder")
        .order_by("number")[:4]
    ]
    _file(
        organization,
        respondent=holders[0],
        name=holders[0].full_name,
        what="My job coach shared my medical history with my employer without asking me.",
        who="Jordan Lee",
        email="jordan.lee@example.org",
        key="espcc-1",
    )
    case = _file(
        organization,
        respondent=holders[1],
        name=holders[1].full_name,
        what="The employment specialist billed for sessions that never took place.",
        who="Morgan Diaz",
        email="morgan.diaz@example.org",
        key="espcc-2",
    )
    _steps(case, chair, "acknowledge", "request_cooperation")
    case = _file(
        organization,
        respondent=holders[2],
        name=holders[2].full_name,
        what="They pressured me to accept a job I had said I did not want.",
        anonymous=True,
        key="espcc-3",
    )
    case = _steps(case, chair, "acknowledge")
    # The anonymous complainant's own words are not sent: the Chair drafts the allegation.
    services.allegation_edit(
        case=case,
        allegation=case.allegations.get(position=1),
        text="The holder pressed a client to accept a job the client had declined.",
        provisions=list(case.allegations.get(position=1).provisions.all()),
        expected_version=case.version,
        acting_user=chair,
    )
    case = _steps(Case.objects.get(pk=case.pk), chair, "request_cooperation")
    services.respondent_answer(case=case, body="I will cooperate; my notes are attached.", files=[])
    _steps(case, chair, "investigate", ("to_committee", {"summary": "Notes reviewed."}))
    case = _file(
        organization,
        respondent=holders[3],
        name=holders[3].full_name,
        what="The holder falsified the hours on my placement report.",
        who="Alex Novak",
        email="alex.novak@example.org",
        key="espcc-4",
    )
    case = _steps(case, chair, "acknowledge", "request_cooperation")
    services.respondent_answer(case=case, body="I accept the findings.", files=[])
    case = _steps(case, chair, "investigate", ("to_committee", {"summary": "Admitted."}))
    _decide(case, committee, "upheld", "The holder admitted falsifying the report.")
    case = _steps(case, committee, "uphold")
    today = timezone.localdate()
    services.sanction_choose(
        case=case,
        kind="suspension",
        summary="Suspended for 90 days for falsifying a placement report.",
        effective_from=today,
        effective_until=today + dt.timedelta(days=90),
        publication="public",
        acting_user=committee,
    )
    _steps(case, committee, "impose_sanction")
    return "ESPCC cases: 4 loaded"
