"""ESPCC's CESP certification in the demo: the requirements Ombuds ships (its own words), candidates
at every stage of an application, an exam window whose results were imported from a vendor's file
(passes certified in the register, fails counting as attempts), and an exam-security incident filed
as a case. Everything goes through the certification services, as staff and candidates would; only
dates are moved back afterwards where a stage needs time to have passed (an answer overdue, an
eligibility ended, attempts spaced by the wait). Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.certification import services
from ombuds.certification.models import Application, CandidateNotice, Sitting
from ombuds.codes.selectors import current_version
from ombuds.register.models import CredentialProgram, Person

REQUIREMENTS = (
    Path(__file__).resolve().parents[1] / "certification" / "programmes" / "espcc-cesp.toml"
)
WINDOW = "2026-spring"
# (given name, family name, the stage the demo takes the application to)
CANDIDATES = (
    ("Imani", "Okafor", "draft"),
    ("Tomás", "Reyes", "submitted"),
    ("Hana", "Sato", "more_information"),
    ("Oliver", "Brandt", "lapsed"),
    ("Priya", "Nair", "complete"),
    ("Lucas", "Moreau", "refused"),
    ("Amara", "Diallo", "withdrawn"),
    ("Noah", "Fischer", "eligible"),
    ("Sofia", "Lindqvist", "booked"),
    ("Mateo", "Silva", "passed"),
    ("Grace", "Kim", "passed"),
    ("Yusuf", "Demir", "failed"),
    ("Elena", "Popescu", "exhausted"),
    ("Kwame", "Mensah", "expired"),
    ("Ava", "Walsh", "suspended"),
)
EVIDENCE = {
    "education": {"level": "bachelor", "details": "BA in Social Work, State University, 2018"},
    "experience": {"amount": "1400", "details": "Job coach, Pathways to Work, 2019-2025"},
    "training": {"amount": "32", "details": "Supported employment course, 2023"},
}
# A one-page PDF standing for the diploma and the letter confirming hours.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def load_espcc(espcc: Organization, password: str | None) -> list[str]:
    """The CESP requirements, the candidates and the exam window; a line for each thing done."""
    program = CredentialProgram.objects.get(organization=espcc, code="cesp")
    if Application.objects.filter(program=program).exists():
        return ["ESPCC certification already loaded"]
    services.requirements_install(
        organization=espcc,
        text=REQUIREMENTS.read_text(encoding="utf-8"),
        actor_label="demo",
    )
    staff = get_user_model().objects.get(username="admin")
    today = timezone.localdate()
    window = services.window_save(
        program=program,
        values={
            "code": WINDOW,
            "name": "Spring 2026 examination",
            "opens_on": today - dt.timedelta(days=45),
            "closes_on": today + dt.timedelta(days=45),
            "vendor": "Testing vendor (demo)",
        },
        acting_user=staff,
    )
    stages = {}
    for n, (given, family, stage) in enumerate(CANDIDATES, start=1):
        user = _candidate(espcc, given, family, n, password)
        stages.setdefault(stage, []).append(_to_stage(program, user, staff, stage))
    _exams(espcc, window, stages, staff)
    _incident(espcc, stages["suspended"][0], window, staff)
    services.applications_tick()
    # The demo's emails are on the record; none is sent to the example addresses.
    CandidateNotice.objects.filter(application__program=program).update(sent_at=timezone.now())
    counts = ", ".join(f"{len(v)} {k}" for k, v in stages.items())
    return [
        f"ESPCC certification: CESP requirements installed, {len(CANDIDATES)} candidates "
        f"({counts}), exam window {window.name} with imported results",
        "Candidate logins (same password as the administrator): "
        + ", ".join(f"candidate{n}@example.org" for n in (1, 3, 8, 10)),
    ]


def _candidate(espcc: Organization, given: str, family: str, n: int, password: str | None):
    email = f"candidate{n}@example.org"
    User = get_user_model()
    user = User.objects.filter(username=email).first() or User.objects.create_user(
        email, email, password, first_name=given, last_name=family
    )
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Person.objects.get_or_create(
        organization=espcc,
        user=user,
        defaults={"given_name": given, "family_name": family, "email": email, "country": "US"},
    )
    return user


def _filled(program: CredentialProgram, user) -> Application:
    application = services.application_open(program=program, user=user)
    services.application_save(
        application=application,
        identity={k: getattr(application, k) for k in ("given_name", "family_name", "email")},
        evidence=EVIDENCE,
        files=[("education", "diploma.pdf", PDF), ("experience", "hours-letter.pdf", PDF)],
        expected_version=None,
        acting_user=user,
    )
    return application


def _submit(application: Application, user) -> Application:
    return services.application_submit(
        application=application,
        confirmed=["accurate", "policies"],
        agreement=True,
        code_version=current_version(application.organization),
        expected_version=None,
        acting_user=user,
    )


def _review(application: Application, staff, decision: str, reason: str = "") -> Application:
    return services.application_review(
        application=application,
        decision=decision,
        reason=reason,
        expected_version=None,
        acting_user=staff,
    )


def _to_stage(program: CredentialProgram, user, staff, stage: str) -> Application:
    if stage == "draft":
        return services.application_open(program=program, user=user)
    application = _submit(_filled(program, user), user)
    if stage == "submitted":
        return application
    if stage in ("more_information", "lapsed"):
        _review(
            application,
            staff,
            "more_information",
            "Send the letter from your employer confirming your hours, signed and on letterhead.",
        )
        if stage == "lapsed":  # the answer was due yesterday; the daily work lapses it
            Application.objects.filter(pk=application.pk).update(
                respond_by=timezone.localdate() - dt.timedelta(days=1)
            )
        return application
    _review(application, staff, "complete")
    if stage == "complete":
        return application
    if stage == "refused":
        return _review(
            application,
            staff,
            "refused",
            "The hours are of office work, not of "
            "employment support: they do not count towards the requirements.",
        )
    if stage == "withdrawn":
        return services.application_withdraw(
            application=application,
            reason="Moving abroad.",
            expected_version=None,
            acting_user=user,
        )
    return _review(application, staff, "eligible")


def _exams(espcc: Organization, window, stages: dict, staff) -> None:
    """The vendor's file for the window: passes, a fail; earlier attempts and an eligibility that
    ended are dated back."""
    today = timezone.localdate()
    for application in stages["exhausted"]:  # two fails 100 days apart, the last one today
        _eligible_since(application, days=300)
        for days in (200, 100):
            Sitting.objects.create(
                window=window,
                application=application,
                sat_on=today - dt.timedelta(days=days),
                result="fail",
                score=55,
                source=Sitting.Source.IMPORT,
                recorded_at=timezone.now(),
            )
    for application in stages["expired"]:
        Application.objects.filter(pk=application.pk).update(
            eligible_from=today - dt.timedelta(days=400),
            eligible_until=today - dt.timedelta(days=1),
        )
    for application in stages["booked"]:
        services.sitting_book(window=window, application=application, acting_user=staff)
    rows = [
        f"{a.reference},{WINDOW},{today},{score},{a.family_name}"
        for key, score in (("passed", 84), ("failed", 61), ("exhausted", 58))
        for a in stages[key]
    ]
    data = ("reference,window,sat_on,score,family_name\n" + "\n".join(rows) + "\n").encode()
    report = services.results_import(
        organization=espcc, data=data, dry_run=False, acting_user=staff
    )
    if not report.ok:
        raise RuntimeError(f"the demo's results file: {report.errors}")


def _eligible_since(application: Application, *, days: int) -> None:
    Application.objects.filter(pk=application.pk).update(
        eligible_from=timezone.localdate() - dt.timedelta(days=days)
    )


def _incident(espcc: Organization, application: Application, window, staff) -> None:
    """A proctor reports a candidate photographing the screen: a case citing exam
    confidentiality; eligibility is suspended while it is decided (citing the case)."""
    _incident, filed = services.incident_report(
        organization=espcc,
        report=services.IncidentReport(
            kind="cheating",
            reported_by="proctor",
            what_happened="During the morning sitting the candidate photographed the screen with "
            "a phone hidden under the desk; the proctor stopped the sitting and kept the photos.",
            reporter_name="Dana Proctor (testing vendor)",
            reporter_email="proctor@vendor.example",
            application_reference=application.reference,
            window_code=window.code,
            happened_on=timezone.localdate() - dt.timedelta(days=3),
            submission_key="demo-exam-incident-1",
        ),
        acting_user=staff,
    )
    services.eligibility_suspend(
        application=application,
        until=timezone.localdate() + dt.timedelta(days=120),
        reason="Eligibility suspended while the incident is investigated.",
        decision_ref=filed.case.reference,
        expected_version=None,
        acting_user=staff,
    )
