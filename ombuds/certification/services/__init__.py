"""Certification's write path: every change to requirements, applications, examinations and
exam-security incidents is one call here. Callers import from here:
``from ombuds.certification import services``.

Modules: `common` (the refusal, locks, moves, the candidate's notices), `programmes` (requirements
installed), `applications` (opened, saved, documents, submitted, withdrawn), `documents`, `review`
(staff decisions, suspensions, the daily work), `exams` (windows, sittings, results, a pass
issuing the credential), `results_import` (the vendor's file), `incidents` (reports as cases, and
the sanctions they lead to).
"""

from ombuds.certification.services.applications import (
    application_open,
    application_request,
    application_save,
    application_submit,
    application_withdraw,
    evidence_clean,
    submit_problems,
)
from ombuds.certification.services.common import (
    CertificationRefused,
    notice_send,
    notices_retry,
    spec_of,
)
from ombuds.certification.services.documents import document_add, document_remove
from ombuds.certification.services.exams import (
    ResultIn,
    Retake,
    attempts_of,
    result_record,
    result_void,
    retake_of,
    sitting_book,
    window_save,
)
from ombuds.certification.services.incidents import (
    IncidentReport,
    incident_report,
    incident_sanction,
)
from ombuds.certification.services.programmes import (
    requirements_current,
    requirements_install,
    requirements_problems,
)
from ombuds.certification.services.results_import import ResultsReport, results_import
from ombuds.certification.services.review import (
    application_review,
    applications_tick,
    eligibility_restore,
    eligibility_suspend,
)
from ombuds.core.changes import ChangedMeanwhile

__all__ = [
    "CertificationRefused",
    "ChangedMeanwhile",
    "IncidentReport",
    "ResultIn",
    "ResultsReport",
    "Retake",
    "application_open",
    "application_request",
    "application_review",
    "application_save",
    "application_submit",
    "application_withdraw",
    "applications_tick",
    "attempts_of",
    "document_add",
    "document_remove",
    "eligibility_restore",
    "eligibility_suspend",
    "evidence_clean",
    "incident_report",
    "incident_sanction",
    "notice_send",
    "notices_retry",
    "requirements_current",
    "requirements_install",
    "requirements_problems",
    "result_record",
    "result_void",
    "results_import",
    "retake_of",
    "sitting_book",
    "spec_of",
    "submit_problems",
    "window_save",
]
