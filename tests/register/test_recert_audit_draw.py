"""Audit draws: a random sample of submitted cycles, reproducible from its seed and population, recorded
with who drew it; `ombuds register draw-audit` over the same service, for the body's staff only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit.models import Event
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    AuditDraw,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        required_units=Decimal("1"),
        audit_fraction=Decimal("0.25"),
    )


def _cycles(program, n: int, *, submitted: bool = True) -> list[RecertificationCycle]:
    made = []
    for i in range(n):
        holder = Person.objects.create(
            organization=program.organization, given_name="H", family_name=str(i)
        )
        credential = Credential.objects.create(
            program=program,
            holder=holder,
            number=f"CGP-{len(made) + 100 * submitted + i}",
            status="active",
            issued_on=dt.date(2024, 1, 1),
            expires_on=dt.date(2027, 1, 1),
        )
        cycle = recert.cycle_open(credential=credential)
        if submitted:
            RecertificationCycle.objects.filter(pk=cycle.pk).update(
                submitted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            )
        made.append(cycle)
    return made


def test_the_sample_is_the_lowest_hashes_and_the_same_for_the_same_seed():
    population = list(range(1, 41))
    first = recert_audit.draw_sample("abc", population, Decimal("0.1"))
    assert len(first) == 4 and first == sorted(first)
    assert recert_audit.draw_sample("abc", population, Decimal("0.1")) == first
    assert recert_audit.draw_sample("abd", population, Decimal("0.1")) != first
    ranks = sorted(population, key=lambda pk: recert_audit.draw_rank("abc", pk))
    assert first == sorted(ranks[:4])
    # An independent computation of the documented method gives the same ranks.
    assert recert_audit.draw_rank("abc", 7) == (hmac.new(b"abc", b"7", hashlib.sha256).hexdigest())


@pytest.mark.parametrize(
    ("size", "fraction", "drawn"),
    [(10, "0.05", 1), (10, "0.25", 3), (40, "0.05", 2), (3, "1", 3), (1, "0.001", 1)],
    ids=["at-least-one", "rounded-up", "exact", "all", "one-of-one"],
)
def test_a_draw_takes_the_fraction_rounded_up(size, fraction, drawn):
    assert recert_audit.sample_size(size, Decimal(fraction)) == drawn


def test_a_draw_is_recorded_with_who_drew_it_the_seed_and_the_cycles(program, personas):
    submitted = _cycles(program, 8)
    _cycles(program, 3, submitted=False)  # not submitted: never drawn
    draw = recert_audit.audit_draw(
        program=program, seed="board-2026", acting_user=personas["body_staff"]
    )
    assert draw.fraction == Decimal("0.25") and draw.seed == "board-2026"
    assert draw.population == [c.pk for c in submitted]
    drawn = list(draw.cycles.order_by("pk").values_list("pk", flat=True))
    assert len(drawn) == 2
    assert drawn == recert_audit.draw_sample("board-2026", draw.population, Decimal("0.25"))
    assert recert_audit.audit_replay(draw) == drawn
    event = Event.objects.get(action="register.audit_drawn")
    assert event.actor == personas["body_staff"]
    assert event.data["seed"] == "board-2026" and event.data["drawn"] == drawn
    assert event.data["population"] == draw.population
    # A second draw takes from the cycles not drawn yet.
    second = recert_audit.audit_draw(program=program, fraction="1", seed="again")
    assert second.population == [c.pk for c in submitted if c.pk not in drawn]


def test_a_random_seed_is_chosen_and_kept_when_none_is_given(program):
    _cycles(program, 4)
    draw = recert_audit.audit_draw(program=program)
    assert len(draw.seed) == 32
    assert recert_audit.audit_replay(draw) == sorted(draw.cycles.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("fraction", "seed", "message"),
    [
        ("0", "", "more than 0 and at most 1"),
        ("1.5", "", "more than 0 and at most 1"),
        ("a lot", "", "is not a number"),
        ("NaN", "", "more than 0 and at most 1"),
        ("0.0001", "", "at most three decimals"),
        ("0.1", "two words", "a seed is 1 to 64 letters"),
    ],
    ids=["zero", "above-one", "words", "nan", "too-fine", "bad-seed"],
)
def test_a_draw_that_cannot_be_made_is_refused_and_nothing_is_written(
    program, fraction, seed, message
):
    _cycles(program, 4)
    with pytest.raises(recert.RecertificationError, match=message):
        recert_audit.audit_draw(program=program, fraction=fraction, seed=seed)
    assert not AuditDraw.objects.exists()
    assert not Event.objects.filter(action="register.audit_drawn").exists()


def test_nothing_to_draw_from_is_refused(program):
    _cycles(program, 2, submitted=False)
    with pytest.raises(recert.RecertificationError, match="no submitted CGP cycle awaits"):
        recert_audit.audit_draw(program=program, fraction="0.5")


def test_a_programme_without_a_fraction_needs_one_given(program):
    program.audit_fraction = 0
    program.save()
    _cycles(program, 2)
    with pytest.raises(recert.RecertificationError, match="sets no audit fraction"):
        recert_audit.audit_draw(program=program)


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["body_staff", "body_admin", "superuser"])
def test_the_bodys_staff_draw_from_the_command_line(program, personas, persona, capsys):
    cycles = _cycles(program, 4)
    username = personas[persona].username
    call_command("register", "draw-audit", "--org", "guild", "--seed", "s1", "--as", username)
    out = capsys.readouterr().out
    drawn = recert_audit.draw_sample("s1", [c.pk for c in cycles], Decimal("0.25"))
    number = RecertificationCycle.objects.get(pk=drawn[0]).credential.number
    assert out.startswith("Drew 1 of 4 submitted CGP cycles for audit (draw ")
    assert "fraction 0.250, seed s1): " + number in out
    assert AuditDraw.objects.get().drawn_by == personas[persona]


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("committee_member", "'carl' is not an administrator or staff of GOE"),
        ("other_body_admin", "'olga' is not an administrator or staff of GOE"),
        ("signed_in_no_role", "'nora' is not an administrator or staff of GOE"),
    ],
    ids=["committee-member", "other-body-admin", "no-role"],
)
def test_nobody_else_draws_from_the_command_line(program, personas, persona, message):
    _cycles(program, 4)
    with pytest.raises(CommandError) as refused:
        call_command("register", "draw-audit", "--org", "guild", "--as", personas[persona].username)
    assert str(refused.value) == message
    assert not AuditDraw.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fraction", "2"], "the fraction must be more than 0 and at most 1"),
        (["--program", "nope"], "GOE has no programme 'nope'"),
        (["--as", "ghost"], "no user 'ghost'"),
    ],
    ids=["fraction", "program", "user"],
)
def test_the_command_refuses_bad_input_in_one_line(program, personas, args, message):
    _cycles(program, 2)
    argv = ["register", "draw-audit", "--org", "guild", "--as", "sam", *args]
    with pytest.raises(CommandError) as refused:
        call_command(*argv)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert not AuditDraw.objects.exists()


def test_a_body_with_several_programmes_needs_one_named(program, personas, body):
    CredentialProgram.objects.create(
        organization=body, code="adv", name="Advanced", abbreviation="ADV"
    )
    with pytest.raises(CommandError, match="give --program: GOE's are adv, cgp"):
        call_command("register", "draw-audit", "--org", "guild", "--as", "sam")
