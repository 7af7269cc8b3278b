"""Attestation campaigns (CSEC 4.3: a member agency makes sure its employees and agents have read,
understood and agreed to the code).

A body starts a campaign for the current published version of its code: who must attest (the
audience), by when, the reminders, and whether the change is material. Starting it gives everyone
in the audience a duty (`AttestationDue`) in one bulk insert. The daily tick (`attest_tick`) keeps
the duties in step with the register without restarting anything: people who joined the audience
since get their own due date (`new_joiner_days` from the day they are found, never before the
campaign's), people who left are excused (kept, not counted), and people who came back are counted
again; then the reminders due go out, each once per duty and reminder day, however often it runs.

A person attests to the exact version: the SHA-256 of its canonical text (the Markdown export), the
statement they confirmed and the time. Staff may record an attestation by proxy, with a reason.

A duty's status is computed, never stored: "attested" (to the campaign's version or a later one;
in a non-material campaign an attestation to an earlier version carries over, unless a material
campaign came in between), "outdated" (a material campaign, only an earlier version attested, the
due date not passed), "overdue" (not attested and the due date passed), "pending", or "excused"
(no longer in the audience; not counted). Reports compute it for any number of people in a fixed
number of queries.

Every change writes its audit event in the same transaction; refusals list every problem at once
(`CampaignRefused`, `AttestationRefused`, `AgencyRefused`) and change nothing.

The package, cut at its seams (callers import from here):
  common      statuses, refusals, the version attested to, small helpers
  audiences   who a campaign asks
  campaigns   starting, syncing and closing campaigns (closed by a newer version's publication)
  recording   attesting, and attesting by proxy
  status      a duty's status (computed), the member's own open duties
  coverage    coverage reports and their CSV
  reminders   reminders and the daily tick
  agency      the agency administrator's part: their people, invitations, adding staff
"""

from ombuds.members.agency_roles import is_agency_admin
from ombuds.members.attestations.agency import (
    AGENCY_CSV_HEADER,
    AgencyOverview,
    AgencyPerson,
    agencies_administered,
    agency_csv_rows,
    agency_invite,
    agency_overview,
    agency_person_add,
)
from ombuds.members.attestations.audiences import (
    Audience,
    agency_staff,
    audience_members,
    member_agencies,
)
from ombuds.members.attestations.campaigns import (
    SyncResult,
    campaign_close,
    campaign_start,
    campaign_sync,
    campaigns_supersede,
)
from ombuds.members.attestations.common import (
    ATTESTED,
    COUNTED,
    CURRENT_CREDENTIAL,
    CURRENT_MEMBERSHIP,
    DEFAULT_STATEMENT,
    EXCUSED,
    MAX_DAYS,
    OPEN_STATUSES,
    OUTDATED,
    OVERDUE,
    PENDING,
    STAFF_ROLES,
    STATUS_LABELS,
    STATUSES,
    AgencyRefused,
    AttestationRefused,
    CampaignRefused,
    date_text,
    default_statement,
    superseding_version,
    version_text_sha256,
)
from ombuds.members.attestations.coverage import (
    CSV_HEADER,
    Coverage,
    CoverageRow,
    campaign_counts,
    coverage,
    coverage_csv_rows,
    register_numbers,
)
from ombuds.members.attestations.recording import attest, attest_by_proxy
from ombuds.members.attestations.reminders import attest_tick, attest_url, reminders_send
from ombuds.members.attestations.status import (
    AttestationFact,
    Classified,
    OpenDue,
    due_status,
    open_dues_for_user,
)

__all__ = [
    "AGENCY_CSV_HEADER",
    "ATTESTED",
    "COUNTED",
    "CSV_HEADER",
    "CURRENT_CREDENTIAL",
    "CURRENT_MEMBERSHIP",
    "DEFAULT_STATEMENT",
    "EXCUSED",
    "MAX_DAYS",
    "OPEN_STATUSES",
    "OUTDATED",
    "OVERDUE",
    "PENDING",
    "STAFF_ROLES",
    "STATUSES",
    "STATUS_LABELS",
    "AgencyOverview",
    "AgencyPerson",
    "AgencyRefused",
    "AttestationFact",
    "AttestationRefused",
    "Audience",
    "CampaignRefused",
    "Classified",
    "Coverage",
    "CoverageRow",
    "OpenDue",
    "SyncResult",
    "agencies_administered",
    "agency_csv_rows",
    "agency_invite",
    "agency_overview",
    "agency_person_add",
    "agency_staff",
    "attest",
    "attest_by_proxy",
    "attest_tick",
    "attest_url",
    "audience_members",
    "campaign_close",
    "campaign_counts",
    "campaign_start",
    "campaign_sync",
    "campaigns_supersede",
    "coverage",
    "coverage_csv_rows",
    "date_text",
    "default_statement",
    "due_status",
    "is_agency_admin",
    "member_agencies",
    "open_dues_for_user",
    "register_numbers",
    "reminders_send",
    "superseding_version",
    "version_text_sha256",
]
