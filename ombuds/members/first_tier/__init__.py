"""An agency's own complaint inbox: the first tier (CSEC 1.1(c): members respond to all client
complaints and seek a fair, reasonable and timely resolution of them).

A member agency's client complains to the agency itself, without an account, through the agency's
public form. They follow the complaint through a personal link whose token is returned once (only
its SHA-256 is kept). The agency's administrators — people whose current affiliation with the
agency makes them its administrator — answer and resolve it in their inbox; its timestamps give the
time to first response and the time to resolution. When the client takes the complaint to the
body, the record travels with it (`ombuds.cases.services.case_file` with the link): it is the proof
of reasonable efforts to resolve that CSEC Article 5 asks for, and the Chair reads the exchange.

Every change is atomic (a change to a complaint locks it first), writes its audit event in the same
transaction and sends its emails after the commit. Refusals raise `FirstTierRefused` listing every problem and
change nothing. Audit events hold references, counts and who acted, never the client's words.

The agency never learns from its inbox that a client took a complaint to the body: the body tells
the agency itself, when its procedure says so, and names the complainant only with their consent.

The package, cut at its seams (callers import from here):
  common     statuses, the refusal, who is who, the client's personal link, addresses, emails
  filing     a client's complaint to a member agency
  exchange   replies and resolution
  times      reading the inbox, one exchange, the response times
  proof      the record taken to the body as proof of efforts to resolve (CSEC Article 5)
  erasure    the client's personal data forgotten: with the body's case, at the end of the
             retention period, again after a restore (the erasure journal)
"""

from ombuds.members.agency_roles import administered_agencies, administered_agency, works_for
from ombuds.members.first_tier.common import (
    ACTIVE,
    CLIENT_LABEL,
    CLOSED,
    MAX_TEXT,
    REFERENCE_ALPHABET,
    REFERENCE_ATTEMPTS,
    FirstTierRefused,
    Status,
    client_complaint_for_token,
    client_url,
    form_url,
    link_token,
    member_agency,
)
from ombuds.members.first_tier.erasure import (
    case_forget,
    client_complaint_forget,
    complaints_purge_due,
    daily_work,
    forget_reapply,
)
from ombuds.members.first_tier.exchange import (
    client_complaint_client_reply,
    client_complaint_close_unresolved,
    client_complaint_reply,
    client_complaint_resolve,
)
from ombuds.members.first_tier.filing import FirstTierFiled, client_complaint_file
from ombuds.members.first_tier.proof import (
    escalation_attach,
    escalation_initial,
    escalation_prepare,
    escalation_ready_on,
    escalation_record,
    unknown_link,
)
from ombuds.members.first_tier.times import (
    InboxFigures,
    Times,
    duration_text,
    exchange,
    for_case,
    inbox,
    inbox_figures,
    time_to_first_response,
    time_to_resolution,
    with_times,
)

__all__ = [
    "ACTIVE",
    "CLIENT_LABEL",
    "CLOSED",
    "MAX_TEXT",
    "REFERENCE_ALPHABET",
    "REFERENCE_ATTEMPTS",
    "FirstTierFiled",
    "FirstTierRefused",
    "InboxFigures",
    "Status",
    "Times",
    "administered_agencies",
    "administered_agency",
    "case_forget",
    "client_complaint_client_reply",
    "client_complaint_close_unresolved",
    "client_complaint_file",
    "client_complaint_for_token",
    "client_complaint_forget",
    "client_complaint_reply",
    "client_complaint_resolve",
    "client_url",
    "complaints_purge_due",
    "daily_work",
    "duration_text",
    "escalation_attach",
    "escalation_initial",
    "escalation_prepare",
    "escalation_ready_on",
    "escalation_record",
    "exchange",
    "for_case",
    "forget_reapply",
    "form_url",
    "inbox",
    "inbox_figures",
    "link_token",
    "member_agency",
    "time_to_first_response",
    "time_to_resolution",
    "unknown_link",
    "with_times",
    "works_for",
]
