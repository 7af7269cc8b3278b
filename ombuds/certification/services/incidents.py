"""Exam-security incidents (item exposure, cheating, unauthorised disclosure), reported by a proctor,
the body's staff or anyone. Each becomes a case through the ordinary complaint flow (`case_file`),
citing the code's provision on exam confidentiality (the one the programme's candidate agreement
cites, ESPCC 2.3), against the candidate when the report names their application. Once the case
has upheld an allegation, its decision may void the candidate's result or suspend their eligibility
(`incident_sanction`), citing the case's reference."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.cases.complaint import Complaint
from ombuds.cases.models import Allegation, Case
from ombuds.cases.rules import CaseRefused
from ombuds.cases.services import Filed, case_file
from ombuds.certification import workflow
from ombuds.certification.models import Application, ExamWindow, Incident, Sitting
from ombuds.certification.services.common import CertificationRefused, spec_of
from ombuds.certification.services.exams import result_void
from ombuds.certification.services.programmes import requirements_current
from ombuds.certification.services.review import eligibility_suspend
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.register.models import CredentialProgram

UNKNOWN_RESPONDENT = "Not known yet (exam-security incident)"
RELATION = {
    Incident.Reporter.PROCTOR: Case.Relation.OTHER,
    Incident.Reporter.STAFF: Case.Relation.OTHER,
    Incident.Reporter.PUBLIC: Case.Relation.PUBLIC,
}


@dataclass
class IncidentReport:
    """What a report of an exam-security incident says, from any door."""

    kind: str
    reported_by: str
    what_happened: str
    reporter_name: str = ""
    reporter_email: str = ""
    anonymous: bool = False
    passphrase: str = ""
    application_reference: str = ""
    window_code: str = ""
    happened_on: dt.date | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    submission_key: str = ""


def confidentiality_provision(
    organization: Organization, program: CredentialProgram | None
) -> Provision | None:
    """The provision of the code in force that the programme's candidate agreement cites (2.3)."""
    requirements = (requirements_current(program) if program is not None else None) or next(
        (
            r
            for p in CredentialProgram.objects.filter(organization=organization)
            if (r := requirements_current(p)) is not None
        ),
        None,
    )
    version = current_version(organization)
    if requirements is None or version is None:
        return None
    return version.provisions.filter(citation=spec_of(requirements).agreement.cites).first()


def _targets(
    organization: Organization, report: IncidentReport, problems: list[str]
) -> tuple[Application | None, ExamWindow | None]:
    application = window = None
    if report.application_reference.strip():
        application = (
            Application.objects.select_related("person", "program")
            .filter(
                organization=organization, reference=report.application_reference.strip().upper()
            )
            .first()
        )
        if application is None:
            problems.append(f"No application {report.application_reference.strip()} here.")
    if report.window_code.strip():
        windows = ExamWindow.objects.filter(
            organization=organization, code=report.window_code.strip().lower()
        )
        if application is not None:
            windows = windows.filter(program=application.program)
        window = windows.first()
        if window is None:
            problems.append(f"No exam window {report.window_code.strip()} here.")
    return application, window


def _complaint(
    report: IncidentReport,
    application: Application | None,
    window: ExamWindow | None,
    provision: Provision,
) -> Complaint:
    """The report as the complaint flow takes it: about the candidate when known, citing exam
    confidentiality."""
    about = [Incident.Kind(report.kind).label]
    if window is not None:
        about.append(f"exam window {window.name}")
    if application is not None:
        about.append(f"application {application.reference}")
    return Complaint(
        what_happened=f"Exam-security incident ({'; '.join(about)}).\n\n{report.what_happened.strip()}",
        respondent_person=application.person if application else None,
        respondent_name="" if application else UNKNOWN_RESPONDENT,
        anonymous=report.anonymous,
        passphrase=report.passphrase,
        complainant_name=report.reporter_name,
        complainant_email=report.reporter_email,
        complainant_relation=RELATION[report.reported_by],
        happened_on=report.happened_on,
        provisions=[provision],
        files=report.files,
        channel=Case.Channel.STAFF
        if report.reported_by == Incident.Reporter.STAFF
        else Case.Channel.WEB,
        submission_key=report.submission_key,
    )


def incident_report(
    *,
    organization: Organization,
    report: IncidentReport,
    acting_user: Any = None,
    actor_label: str = "",
    key_scope: str = "public",
) -> tuple[Incident, Filed]:
    """File the incident as a case citing exam confidentiality, and keep what it concerns. An
    anonymous public reporter gets the case's receipt code (in ``Filed``). Raises
    CertificationRefused listing every problem (the case's own checks included); nothing is filed
    then."""
    problems = []
    if report.kind not in Incident.Kind.values:
        problems.append("Say what kind of incident it is.")
    if report.reported_by not in Incident.Reporter.values:
        problems.append("Say who reports it: a proctor, the body's staff or the public.")
    if report.reported_by == Incident.Reporter.STAFF and not (
        acting_user is None or is_body_staff(acting_user, organization)
    ):
        problems.append(f"You have no staff role on {organization.short_name}.")
    if not report.what_happened.strip():
        problems.append("Say what happened.")
    application, window = _targets(organization, report, problems)
    program = application.program if application else window.program if window else None
    provision = confidentiality_provision(organization, program)
    if provision is None:
        problems.append(
            f"{organization.short_name}'s code in force has no provision on exam confidentiality "
            "for the report to cite (install the programme's requirements)."
        )
    if problems:
        raise CertificationRefused(problems)
    complaint = _complaint(report, application, window, provision)
    try:
        with transaction.atomic():
            filed = case_file(
                organization=organization,
                complaint=complaint,
                acting_user=acting_user,
                actor_label=actor_label,
                key_scope=key_scope,
            )
            incident = Incident.objects.filter(case=filed.case).first()
            if incident is None:
                incident = Incident.objects.create(
                    organization=organization,
                    kind=report.kind,
                    reported_by=report.reported_by,
                    window=window,
                    application=application,
                    case=filed.case,
                )
                audit.record(
                    action="certification.incident_reported",
                    subject_type="certification.incident",
                    subject_id=incident.pk,
                    data={
                        "case": filed.case.reference,
                        "kind": report.kind,
                        "reported_by": report.reported_by,
                        "application": application.reference if application else None,
                        "window": window.code if window else None,
                    },
                    organization=organization,
                    actor=acting_user,
                    actor_label=actor_label or filed.case.complainant_name or "anonymous reporter",
                )
    except CaseRefused as exc:
        raise CertificationRefused(exc.problems) from exc
    return incident, filed


SANCTIONS = ("void_result", "suspend_eligibility")


def incident_sanction(
    *,
    incident: Incident,
    kind: str,
    reason: str,
    acting_user: Any,
    sitting: Sitting | None = None,
    until: dt.date | None = None,
) -> None:
    """Carry out the case's decision on the candidate: void a result (``sitting``) or suspend their
    eligibility until a date, citing the case's reference. Only once the case has upheld an
    allegation. CertificationRefused otherwise; nothing changes then."""
    case = incident.case
    problems = []
    if kind not in SANCTIONS:
        problems.append(f"Choose one of: {', '.join(SANCTIONS)}.")
    if incident.application_id is None:
        problems.append("The incident names no candidate's application.")
    if not Allegation.objects.filter(
        case=case, determination=Allegation.Determination.UPHELD
    ).exists():
        problems.append(f"Case {case.reference} has upheld no allegation yet: decide it first.")
    if kind == "void_result" and (
        sitting is None or sitting.application_id != incident.application_id
    ):
        problems.append("Choose the result to void, one of the candidate's.")
    if problems:
        raise CertificationRefused(problems)
    reason = reason.strip() or f"Exam-security incident, case {case.reference}"
    if kind == "void_result":
        result_void(
            sitting=sitting, reason=reason, decision_ref=case.reference, acting_user=acting_user
        )
        return
    application = incident.application
    if application.state != workflow.ELIGIBLE:
        raise CertificationRefused(
            f"{application.reference} is {application.get_state_display().lower()}: only an "
            "eligible candidate's eligibility is suspended."
        )
    eligibility_suspend(
        application=application,
        until=until,
        reason=reason,
        decision_ref=case.reference,
        expected_version=None,
        acting_user=acting_user,
    )
