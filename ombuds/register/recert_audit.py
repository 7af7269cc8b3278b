"""Audits of recertification: a random sample of a programme's submitted cycles, drawn so that
anyone can draw it again.

The population is every cycle of the programme that is submitted, not yet decided and not drawn
before, by id. Each is ranked by HMAC-SHA256(seed, its id) and the first ceil(fraction × size) are
drawn: the seed (given, or chosen at random) and the population are kept with the draw and on its
audit event, so the sample can be checked by recomputing it (`draw_sample`), with nothing but the
standard library, whatever the version of Python. A cycle drawn is accepted as compliant only once
every activity counted has its evidence (`recertification.cycle_close`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.register.models import AuditDraw, CredentialProgram, RecertificationCycle
from ombuds.register.recertification import RecertificationError
from ombuds.register.services.events import acting

SEED_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def draw_rank(seed: str, cycle_id: int) -> str:
    """A cycle's place in the draw: the HMAC-SHA256 of its id under the seed, in hex."""
    return hmac.new(seed.encode(), str(cycle_id).encode(), hashlib.sha256).hexdigest()


def sample_size(population: int, fraction: Decimal) -> int:
    """How many of ``population`` a draw of ``fraction`` takes: rounded up, so a draw of any
    fraction from a non-empty population takes at least one."""
    return min(population, math.ceil(population * fraction))


def draw_sample(seed: str, population: list[int], fraction: Decimal) -> list[int]:
    """The ids drawn from ``population`` with ``seed``, ascending: the same on every machine."""
    ranked = sorted(population, key=lambda pk: (draw_rank(seed, pk), pk))
    return sorted(ranked[: sample_size(len(population), fraction)])


def fraction_read(value: Any) -> Decimal:
    """A fraction between 0 (excluded) and 1, as given on a form, the API or the command line."""
    try:
        fraction = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RecertificationError(
            f"the fraction {value!r} is not a number: give one such as 0.05"
        ) from None
    if not fraction.is_finite() or not Decimal(0) < fraction <= Decimal(1):
        raise RecertificationError(
            f"the fraction must be more than 0 and at most 1 (0.05 draws one in twenty), not {value}"
        )
    if fraction != fraction.quantize(Decimal("0.001")):
        raise RecertificationError("give the fraction with at most three decimals, such as 0.125")
    return fraction


def audit_population(program: CredentialProgram) -> list[int]:
    """The ids of the programme's cycles a draw takes from now, ascending."""
    return list(
        RecertificationCycle.objects.filter(
            credential__program=program,
            outcome=RecertificationCycle.Outcome.OPEN,
            submitted_at__isnull=False,
            audit_draw__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def audit_draw(
    *,
    program: CredentialProgram,
    fraction: Decimal | str | None = None,
    seed: str = "",
    acting_user: Any = None,
) -> AuditDraw:
    """Draw a random sample of the programme's submitted cycles for audit, and record it: who drew
    it, the seed, the fraction, the population and the cycles drawn (on the draw, on each cycle and
    on one audit event). ``fraction`` defaults to the programme's own; ``seed`` to a random one.
    Refused (RecertificationError, nothing written) when no cycle awaits a decision or the fraction
    or seed is not one that can be used."""
    program = CredentialProgram.objects.select_for_update().get(pk=program.pk)
    if fraction is None or fraction == "":
        if not program.audit_fraction:
            raise RecertificationError(
                f"the {program.abbreviation} programme sets no audit fraction: give one"
            )
        fraction = program.audit_fraction
    fraction = fraction_read(fraction)
    seed = seed.strip() or secrets.token_hex(16)
    if not SEED_PATTERN.match(seed):
        raise RecertificationError("a seed is 1 to 64 letters, digits, dots, dashes or underscores")
    population = audit_population(program)
    if not population:
        raise RecertificationError(
            f"no submitted {program.abbreviation} cycle awaits a decision without an audit"
        )
    # Lock the population, so that a cycle decided meanwhile is not drawn.
    list(
        RecertificationCycle.objects.select_for_update()
        .filter(pk__in=population)
        .values_list("pk", flat=True)
    )
    drawn = draw_sample(seed, population, fraction)
    draw = AuditDraw.objects.create(
        program=program,
        drawn_by=acting(acting_user),
        seed=seed,
        fraction=fraction,
        population=population,
    )
    RecertificationCycle.objects.filter(pk__in=drawn).update(
        audit_draw=draw, updated_at=timezone.now()
    )
    numbers = list(
        RecertificationCycle.objects.filter(pk__in=drawn)
        .order_by("pk")
        .values_list("credential__number", flat=True)
    )
    audit.record(
        action="register.audit_drawn",
        subject_type="audit_draw",
        subject_id=draw.pk,
        data={
            "program": program.code,
            "seed": seed,
            "fraction": fraction,
            "population": population,
            "drawn": drawn,
            "credentials": numbers,
            "method": "HMAC-SHA256(seed, cycle id), lowest first, ceil(fraction × population)",
        },
        organization=Organization(pk=program.organization_id),
        actor=acting(acting_user),
    )
    return draw


def audit_replay(draw: AuditDraw) -> list[int]:
    """The sample a draw's seed and population give: what was recorded, if nothing was altered."""
    return draw_sample(draw.seed, list(draw.population), draw.fraction)
