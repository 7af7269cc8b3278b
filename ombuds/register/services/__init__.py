"""The register's write path: every change to credentials, memberships and sanctions is one call here.

Modules: `transitions` (status changes of either lifecycle subject), `due` (the automatic ones, on
their dates), `cycles` (recertification cycles opened and ended with the credential, in bulk too), `issue` (new credentials and memberships, corrections), `sanctions`, `events` (status
events and their audit entries), `numbers`, `organizations`, `similar` (agency names),
`uploads`; people, agencies and affiliations are `ombuds.register.records`, re-exported here.
Callers import from here: ``from ombuds.register import services``.
"""

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.records import (
    ChangedMeanwhile,
    ChangeRefused,
    affiliation_save,
    agency_save,
    person_save,
)
from ombuds.register.services.cycles import CyclesOpened, cycles_open_bulk
from ombuds.register.services.due import MEMBERSHIP_GRACE_DAYS, apply_due_transitions
from ombuds.register.services.events import acting, audit_batched, status_event_record
from ombuds.register.services.issue import credential_correct, credential_issue, membership_create
from ombuds.register.services.numbers import check_membership_number, check_number
from ombuds.register.services.organizations import organization_ensure
from ombuds.register.services.sanction_effects import (
    CONDITION_SANCTIONS,
    SANCTION_STATUS,
    STATUS_SANCTIONS,
    sanction_apply,
    sanction_lift,
    sanctions_apply_due,
)
from ombuds.register.services.sanctions import (
    SanctionDecision,
    SanctionPublication,
    sanction_fine_paid,
    sanction_impose,
    sanction_record,
)
from ombuds.register.services.similar import similar_agencies
from ombuds.register.services.transitions import (
    credential_transition,
    lifecycle_transition,
    membership_transition,
)
from ombuds.register.services.uploads import discard_stale_uploads

__all__ = [
    "CONDITION_SANCTIONS",
    "MEMBERSHIP_GRACE_DAYS",
    "SANCTION_STATUS",
    "STATUS_SANCTIONS",
    "ChangeRefused",
    "ChangedMeanwhile",
    "CyclesOpened",
    "SanctionDecision",
    "SanctionPublication",
    "TransitionRefused",
    "acting",
    "affiliation_save",
    "agency_save",
    "apply_due_transitions",
    "audit_batched",
    "check_membership_number",
    "check_number",
    "credential_correct",
    "credential_issue",
    "credential_transition",
    "cycles_open_bulk",
    "discard_stale_uploads",
    "lifecycle_transition",
    "membership_create",
    "membership_transition",
    "organization_ensure",
    "person_save",
    "sanction_apply",
    "sanction_fine_paid",
    "sanction_impose",
    "sanction_lift",
    "sanction_record",
    "sanctions_apply_due",
    "similar_agencies",
    "status_event_record",
]
