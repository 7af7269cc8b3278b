"""What a complaint says, as the public form, a member's report, staff intake and the API hand it to
`ombuds.cases.services.case_file`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ombuds.cases.models import Case
from ombuds.register.models import Agency, Person


@dataclass
class Complaint:
    """What a complaint says, from the public form, a member's report or staff entering it."""

    what_happened: str
    respondent_name: str = ""
    respondent_person: Person | None = None
    respondent_agency: Agency | None = None
    respondent_email: str = ""
    respondent_details: str = ""
    anonymous: bool = False
    complainant_name: str = ""
    complainant_email: str = ""
    complainant_phone: str = ""
    complainant_relation: str = Case.Relation.PUBLIC
    consent_to_share: bool = False
    passphrase: str = ""
    happened_on: dt.date | None = None
    happened_until: dt.date | None = None
    outcome_sought: str = ""
    provisions: list = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    channel: str = Case.Channel.WEB
    submission_key: str = ""
    # The complainant's personal link to the complaint they made to a member agency first (read
    # through `ombuds.cases.hooks.proof_of_efforts`): the agency's record is the proof of efforts.
    first_tier_link: str = ""
