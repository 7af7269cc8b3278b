"""Staff pages for cases: the inbox, a case with the steps open now, and complaints received by
phone, letter or in person. Every page checks the viewer's role on the body and on the case (a
recused person does not see the case at all); every change goes through `ombuds.cases.services`,
every read through `ombuds.cases.selectors`.

Who may do what on these pages:

- any role on the body (administrator, ethics chair, committee member, investigator, staff; a
  superuser acts as administrator) opens the inbox, a case, its documents and its notices;
- complaints received by phone, letter or in person are entered by those who take complaints in
  (`INTAKE_ROLES`);
- recusals are recorded by the chair, an administrator or staff (`RECUSAL_ROLES`);
- a fine imposed in the case is recorded as paid by the chair, an administrator or staff
  (`FINE_RECORDERS`, `fine`);
- the procedure's steps, determinations and the sanction are offered as the procedure and the
  services allow the viewer's roles, and the services decide again when a form is sent.

A refused or invalid form answers 400 with every problem listed, next to the form it concerns (or
at the top of the page when that form is not shown to the viewer).

Modules: `common` (roles, the case for its viewer), `inbox`, `case_page` (the page and its forms),
`case_views` (the page's GET view and one POST view per action), `case_display` (the stepper and
the page's words), `intake`, `files`.
"""

from ombuds.cases.staff_views.case_page import STAFF_RECEIPT_SESSION
from ombuds.cases.staff_views.case_views import (
    case_allegation,
    case_detail,
    case_determination,
    case_document_add,
    case_erase,
    case_message,
    case_recusal,
    case_resend,
    case_sanction,
    case_step,
    case_take,
)
from ombuds.cases.staff_views.common import (
    INTAKE_ROLES,
    RECUSAL_ROLES,
    body_roles,
    case_roles_required,
)
from ombuds.cases.staff_views.files import case_document, case_notice
from ombuds.cases.staff_views.inbox import inbox
from ombuds.cases.staff_views.intake import staff_complaint

__all__ = [
    "INTAKE_ROLES",
    "RECUSAL_ROLES",
    "STAFF_RECEIPT_SESSION",
    "body_roles",
    "case_allegation",
    "case_detail",
    "case_determination",
    "case_document",
    "case_document_add",
    "case_erase",
    "case_message",
    "case_notice",
    "case_recusal",
    "case_resend",
    "case_roles_required",
    "case_sanction",
    "case_step",
    "case_take",
    "inbox",
    "staff_complaint",
]
