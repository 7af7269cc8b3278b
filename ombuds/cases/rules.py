"""What every layer of cases shares: its refusals, who may do what on a case, which notices carry
the respondent's personal link. Imports nothing of Ombuds, so that the selectors, the wording of
notices and the services can all stand on it."""

from __future__ import annotations


class CaseRefused(Exception):
    """A change to a case that cannot be made; the message says why (every problem, for a form)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class CaseChanged(CaseRefused):
    """The case changed since the person read it (their page or their ``expected_version``)."""


class CaseNotFound(LookupError):
    """No such case for this reader: it does not exist, is another body's, or they are recused from
    it (a recused person is not told the case exists). Views answer 404."""


# --- who may do what ------------------------------------------------------------------------------

DECIDERS = frozenset({"ethics_chair", "committee_member"})
HANDLERS = frozenset({"ethics_chair", "investigator", "staff", "administrator"})
RECUSERS = frozenset({"ethics_chair", "administrator", "staff"})

# The respondent's records that make them a member: the statuses the code still binds.
LIVE_CREDENTIAL = ("candidate", "active", "inactive", "suspended", "expired")
LIVE_MEMBERSHIP = ("active", "grace", "suspended")

# --- the respondent's personal link ---------------------------------------------------------------

LINK_DAYS = 60
RESPONDENT_LINK_TEMPLATES = frozenset(
    {"allegations", "allegations_added", "cooperation_request", "sanction", "decision", "message"}
)
# The notices with a link that the procedure's own steps send (a message is not a notification).
PROCEDURE_LINK_TEMPLATES = RESPONDENT_LINK_TEMPLATES - {"message"}
