"""The demo's recertification: a cycle for every ESPCC credential that was ever certified, with its
activities, a few cycles submitted, an audit drawn from them, one audited cycle accepted and one
waiting for its evidence.

Cycles and activities of the past are written in bulk, as the register's history is (the status
events of `register_data`); what staff and holders do today (submitting, drawing the audit, adding
evidence, deciding) goes through the services, on the audit chain. Candidates have no cycle: theirs
opens when they are certified. Running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction

from ombuds.bodies.models import Organization
from ombuds.core.dates import add_months
from ombuds.demo.register_data import TODAY
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    RecertificationCycle,
)

AUDIT_FRACTION = Decimal("0.25")
AUDIT_SEED = "espcc-demo-audit"
SUBMITTED = 8  # cycles submitted complete, awaiting the decision
REVIEWED_AT = dt.datetime.combine(TODAY - dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)
PROVIDERS = ["ESPCC Academy", "State Employment Network", "Workforce Institute", ""]
TITLES = {
    "ethics": ["Ethics in employment support", "Confidentiality and consent", "Boundaries"],
    "employment-support": [
        "Job development workshop",
        "Customised employment",
        "Benefits counselling",
        "Job coaching in practice",
        "Supported employment fidelity",
    ],
}
ENDED = {
    "expired": ("non_compliant", "No activities were submitted before the expiry date."),
    "lapsed": ("non_compliant", "No activities were submitted before the expiry date."),
    "revoked": ("ended", "The credential was revoked."),
    "surrendered": ("ended", "The credential was surrendered."),
}


def _term(c: Credential, program: CredentialProgram) -> tuple[dt.date, dt.date]:
    starts = max(c.issued_on, add_months(c.expires_on, -program.cycle_months))
    return starts, c.expires_on


def _day(rng: random.Random, starts: dt.date, ends: dt.date) -> dt.date:
    return starts + dt.timedelta(days=rng.randrange(max(1, (ends - starts).days)))


def _activities(rng: random.Random, cycle: RecertificationCycle, *, complete: bool) -> list:
    """A cycle's activities so far: a few of each kind of review, or (``complete``) every unit
    approved."""
    last = min(cycle.due_on, TODAY - dt.timedelta(days=1))
    if complete:
        plan = [("ethics", Decimal(3))] + [("employment-support", Decimal(11))] * 3
    else:
        plan = [
            (category, Decimal(rng.choice([1, 2, 3] if category == "ethics" else [3, 4, 6, 8])))
            for category in rng.choices(["ethics", "employment-support"], k=rng.randrange(6))
        ]
    made = []
    for n, (category, units) in enumerate(plan):
        review = (
            "approved"
            if complete
            else rng.choice(["approved"] * 7 + ["submitted"] * 2 + ["rejected"])
        )
        made.append(
            Activity(
                cycle=cycle,
                category=category,
                title=f"{TITLES[category][n % len(TITLES[category])]} ({n + 1})",
                provider=rng.choice(PROVIDERS),
                completed_on=_day(rng, cycle.starts_on, last),
                units=units,
                review=review,
                review_reason="Not from an accredited provider." if review == "rejected" else "",
                reviewed_at=None if review == "submitted" else REVIEWED_AT,
            )
        )
    return made


def _history(
    program: CredentialProgram, credentials: list[Credential]
) -> list[RecertificationCycle]:
    """A cycle for every credential ever certified: open for those that hold it, decided or ended
    for the others."""
    cycles = []
    for c in credentials:
        if c.status == "candidate" or c.issued_on is None or c.expires_on is None:
            continue
        starts, due = _term(c, program)
        outcome, reason = ENDED.get(c.status, ("open", ""))
        cycles.append(
            RecertificationCycle(
                credential=c,
                starts_on=starts,
                due_on=due,
                required_units=program.required_units,
                required_by_category=dict(program.unit_categories),
                outcome=outcome,
                outcome_reason=reason,
            )
        )
    return RecertificationCycle.objects.bulk_create(cycles, batch_size=500)


@transaction.atomic
def load_recertification(organization: Organization, admin_username: str) -> str:
    program = CredentialProgram.objects.filter(organization=organization, code="cesp").first()
    if program is None:
        return "ESPCC recertification: no CESP programme"
    if RecertificationCycle.objects.filter(credential__program=program).exists():
        return "ESPCC recertification already loaded"
    admin = get_user_model().objects.get(username=admin_username)
    if not program.audit_fraction:
        program.audit_fraction = AUDIT_FRACTION
        program.save(update_fields=["audit_fraction"])
    rng = random.Random(20260601)
    credentials = list(Credential.objects.filter(program=program).order_by("number"))
    cycles = _history(program, credentials)
    open_cycles = [c for c in cycles if c.outcome == "open"]
    # The last active holders' cycles are complete and submitted; the others under way.
    complete = [c for c in open_cycles if c.credential.status == "active"][-SUBMITTED:]
    activities = []
    for cycle in open_cycles:
        activities += _activities(rng, cycle, complete=cycle in complete)
    Activity.objects.bulk_create(activities, batch_size=1000)
    for cycle in complete:
        recert.cycle_submit(cycle=cycle, acting_user=admin)
    draw = recert_audit.audit_draw(program=program, seed=AUDIT_SEED, acting_user=admin)
    audited = list(draw.cycles.order_by("pk"))
    # The first audited holder sent their evidence and the cycle was accepted; the next waits.
    accepted = audited[0]
    for activity in accepted.activities.all():
        recert.activity_evidence_add(
            activity=activity,
            evidence=ContentFile(
                b"%PDF-1.4\n% demonstration certificate of attendance\n", name="certificate.pdf"
            ),
            acting_user=admin,
        )
    recert.cycle_close(cycle=accepted, outcome="compliant", acting_user=admin)
    return (
        f"ESPCC recertification: {len(cycles)} cycles ({len(open_cycles)} open), "
        f"{len(activities)} activities, {len(complete)} submitted, {len(audited)} drawn for "
        f"audit (seed {AUDIT_SEED}), 1 accepted after its audit"
    )
