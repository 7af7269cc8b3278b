"""Every change to a case, one service per change (`<entity>_<action>`, keyword-only): each asks the
body's procedure (`ombuds.cases.procedure`) whether the step is allowed, locks the case, refuses a
stale change (``expected_version``), makes the change and writes its audit event in the same
transaction. Refusals raise `CaseRefused` with the reason and change nothing.

The package is cut at its seams; callers import from here (``from ombuds.cases import services``):

- `base`            locking, versions, who acted, the audit event, role checks
- `access`          recusals and the case's handler
- `filing`          complaints filed; the anonymous complainant's receipt code and passphrase
- `steps`           the procedure's steps and their effects; `deadlines` the deadlines they move
- `decisions`       allegations, determinations, the sanction chosen
- `register_bridge` the respondent in the register; sanctions imposed there; publication
- `parties`         the respondent linked, relinked or unlinked; suggestions made on filing
- `documents`       documents, messages, the respondent's answer
- `notifications`   notices made and the parties' personal links; `delivery` sending them;
  `deliveries` deliveries by post or by hand recorded
- `complainant`     what the complainant sends from their page (messages, documents, proof)
- `wording`         the body's wording of its notices
- `clock`           the daily clock (deadlines, reminders, check-ins) and retention
- `erasure`         a closed case's personal data removed for good (the purge, on request)

The reads they stand on (the procedure of a case, roles, facts) are `ombuds.cases.selectors`, and
re-exported here for the callers that read them with the services.
"""

from ombuds.cases.procedure import ProcedureRefused
from ombuds.cases.rules import (
    DECIDERS,
    HANDLERS,
    LINK_DAYS,
    LIVE_CREDENTIAL,
    LIVE_MEMBERSHIP,
    PROCEDURE_LINK_TEMPLATES,
    RECUSERS,
    RESPONDENT_LINK_TEMPLATES,
    CaseChanged,
    CaseNotFound,
    CaseRefused,
)
from ombuds.cases.selectors import (
    available_steps,
    facts,
    procedure_of,
    respondent_records,
    roles_on_case,
    running_deadlines,
)
from ombuds.cases.services.access import (
    case_handler_set,
    case_recuse,
    cases_recuse,
    recusal_record,
)
from ombuds.cases.services.clock import (
    case_purge,
    cases_purge_due,
    deadlines_tick,
    retention_days,
)
from ombuds.cases.services.complainant import (
    complainant_proof_send,
    complainant_send,
    proof_step,
)
from ombuds.cases.services.deadlines import is_answer_deadline
from ombuds.cases.services.decisions import (
    ALLEGATION_SOURCES,
    allegation_add,
    allegation_edit,
    determination_record,
    sanction_choose,
    verbatim_allegations,
)
from ombuds.cases.services.deliveries import (
    RECORDED_MEANS,
    complainant_state,
    notice_delivery_record,
    notice_printable,
    respondent_notices_to_deliver,
)
from ombuds.cases.services.delivery import NOTICE_ATTEMPTS, notice_send, notices_retry
from ombuds.cases.services.documents import (
    document_add,
    document_store,
    document_viewed,
    message_post,
    respondent_answer,
)
from ombuds.cases.services.erasure import ERASERS, Erasure, case_erase, case_erasure
from ombuds.cases.services.filing import (
    PASSPHRASE_MIN,
    RECEIPT_ALPHABET,
    Complaint,
    Filed,
    InForce,
    case_file,
    followup_case,
    in_force,
)
from ombuds.cases.services.notifications import (
    complainant_link_case,
    complainant_link_issue,
    complainant_link_renew,
    notifies_respondent_first,
    respondent_link_case,
    respondent_link_issue,
    respondent_notice_preview,
    respondent_notice_resend,
)
from ombuds.cases.services.parties import (
    Relinked,
    respondent_link,
    respondent_suggestions,
    suggestions_store,
)
from ombuds.cases.services.register_bridge import (
    CONDITION_SANCTIONS,
    SANCTION_STATUS,
    STATUS_SANCTIONS,
    respondent_lookup,
    respondent_suggest,
)
from ombuds.cases.services.steps import case_step
from ombuds.cases.services.wording import (
    WordingChanged,
    notice_template_revert,
    notice_template_save,
    wording_current,
    wording_fingerprint,
)

__all__ = [
    "ALLEGATION_SOURCES",
    "CONDITION_SANCTIONS",
    "DECIDERS",
    "ERASERS",
    "HANDLERS",
    "LINK_DAYS",
    "LIVE_CREDENTIAL",
    "LIVE_MEMBERSHIP",
    "NOTICE_ATTEMPTS",
    "PASSPHRASE_MIN",
    "PROCEDURE_LINK_TEMPLATES",
    "RECEIPT_ALPHABET",
    "RECORDED_MEANS",
    "RECUSERS",
    "RESPONDENT_LINK_TEMPLATES",
    "SANCTION_STATUS",
    "STATUS_SANCTIONS",
    "CaseChanged",
    "CaseNotFound",
    "CaseRefused",
    "Complaint",
    "Erasure",
    "Filed",
    "InForce",
    "ProcedureRefused",
    "Relinked",
    "WordingChanged",
    "allegation_add",
    "allegation_edit",
    "available_steps",
    "case_erase",
    "case_erasure",
    "case_file",
    "case_handler_set",
    "case_purge",
    "case_recuse",
    "case_step",
    "cases_purge_due",
    "cases_recuse",
    "complainant_link_case",
    "complainant_link_issue",
    "complainant_link_renew",
    "complainant_proof_send",
    "complainant_send",
    "complainant_state",
    "deadlines_tick",
    "determination_record",
    "document_add",
    "document_store",
    "document_viewed",
    "facts",
    "followup_case",
    "in_force",
    "is_answer_deadline",
    "message_post",
    "notice_delivery_record",
    "notice_printable",
    "notice_send",
    "notice_template_revert",
    "notice_template_save",
    "notices_retry",
    "notifies_respondent_first",
    "procedure_of",
    "proof_step",
    "recusal_record",
    "respondent_answer",
    "respondent_link",
    "respondent_link_case",
    "respondent_link_issue",
    "respondent_lookup",
    "respondent_notice_preview",
    "respondent_notice_resend",
    "respondent_notices_to_deliver",
    "respondent_records",
    "respondent_suggest",
    "respondent_suggestions",
    "retention_days",
    "roles_on_case",
    "running_deadlines",
    "sanction_choose",
    "suggestions_store",
    "verbatim_allegations",
    "wording_current",
    "wording_fingerprint",
]
