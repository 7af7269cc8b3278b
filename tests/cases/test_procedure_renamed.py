"""Procedures are wholly data: a copy of each shipped procedure with every state renamed passes
`ombuds procedures check`, installs for a body with `ombuds procedures install`, and runs a case
from filing to closure with the same results as the original (the same notices, the same register
effect, the same final state), so nothing in the case layer keys on a shipped state's name."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.procedure import PROCEDURES_DIR
from ombuds.cases.selectors import procedure_of
from ombuds.register.models import Credential, Membership, Sanction
from tests.cases.conftest import file_case, take
from tests.cases.test_case_walkthrough import choose, decide_all

# Lines naming states: a step's sources and target, the initial state, the [case] table's states.
_LIST_LINE = re.compile(r"^(\s*(?:from|determinations_in|sanction_in)\s*=\s*\[)(.*)(\].*)$")
_NAME_LINE = re.compile(r'^(\s*(?:to|initial)\s*=\s*")(\w+)(".*)$')
_HEADER = re.compile(r"^\[states\.(\w+)\]")


def renamed(name: str) -> str:
    return f"etat_{name[::-1]}"


def rename_states(text: str) -> str:
    """The procedure's text with every state renamed (its table, the steps' from and to, the
    initial state, the [case] table), and nothing else."""
    states = set(tomllib.loads(text)["states"])
    lines = []
    for line in text.splitlines():
        if m := _HEADER.match(line):
            line = f"[states.{renamed(m.group(1))}]{line[m.end() :]}"
        elif m := _LIST_LINE.match(line):
            names = re.sub(
                r'"(\w+)"',
                lambda n: f'"{renamed(n.group(1))}"' if n.group(1) in states else n.group(0),
                m.group(2),
            )
            line = f"{m.group(1)}{names}{m.group(3)}"
        elif (m := _NAME_LINE.match(line)) and m.group(2) in states:
            line = f"{m.group(1)}{renamed(m.group(2))}{m.group(3)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install_renamed(body, tmp_path: Path, filename: str) -> None:
    original = (PROCEDURES_DIR / filename).read_text(encoding="utf-8")
    copy = tmp_path / filename
    copy.write_text(rename_states(original), encoding="utf-8")
    states = set(tomllib.loads(copy.read_text())["states"])
    assert states == {renamed(s) for s in tomllib.loads(original)["states"]}
    call_command("procedures", "check", str(copy))
    call_command("procedures", "install", str(copy), "--org", body.org.slug)


def walk(case, body, *, member_path: list[tuple[str, str, dict]]):
    """File to closure: the member path to the committee, every allegation upheld, a suspension
    imposed, an appeal lodged and dismissed. What a user relies on, in the original's names."""
    before = Sanction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for step, who, inputs in member_path:
        case = take(case, step, getattr(body, who), **inputs)
        if step in ("notify_member", "request_cooperation"):
            case = services.respondent_answer(case=case, body="We deny it.", files=[])
    case = take(case, "investigate", body.investigator)
    case = take(case, "to_committee", body.investigator, summary="Payments held, no records.")
    decide_all(case, body.committee)
    case = take(case, "uphold", body.committee)
    choose(case, body, "suspension", effective_until=timezone.localdate() + dt.timedelta(days=90))
    case = take(case, "impose_sanction", body.committee)
    case = services.case_step(
        case=case, step="lodge_appeal", roles={"respondent"}, inputs={"grounds": "Too harsh."}
    )
    case = take(case, "appeal_dismissed", body.committee, reasons="The decision stands.")
    procedure = procedure_of(case)
    return {
        "notices": [
            (n.template, n.recipient_role, n.recipient_email) for n in case.notices.order_by("pk")
        ],
        "final": procedure.state(case.state).final,
        "label": procedure.state(case.state).label,
        "sanctions": list(
            Sanction.objects.filter(pk__gt=before).values_list("kind", "source", "effective_until")
        ),
        "register": (
            list(Membership.objects.values_list("number", "status"))
            + list(Credential.objects.values_list("number", "status"))
        ),
        "state": case.state,
        "key": case.procedure_key,
        "sha": case.procedure_sha256,
    }


CSEC_PATH = [
    ("acknowledge", "staff", {}),
    ("waive_efforts", "chair", {"waiver_reason": "The agency would not talk."}),
    ("notify_member", "chair", {}),
]
ESPCC_PATH = [("acknowledge", "staff", {}), ("request_cooperation", "staff", {})]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fixture", "filename", "path", "closed"),
    [
        ("csec", "csec-article-5.toml", CSEC_PATH, "closed"),
        ("espcc", "espcc-ethics.toml", ESPCC_PATH, "closed"),
    ],
)
def test_every_state_renamed_runs_a_case_to_closure_with_the_same_results(
    request, tmp_path, fixture, filename, path, closed
):
    body = request.getfixturevalue(fixture)
    original = walk(file_case(body, citations=[body.default_citation]), body, member_path=path)
    assert original["state"] == closed

    # Start the register again as it was, then install the renamed copy and walk the same case.
    Membership.objects.update(status="active", suspended_until=None)
    Credential.objects.update(status="active", suspended_until=None)
    install_renamed(body, tmp_path, filename)
    copy = walk(file_case(body, citations=[body.default_citation]), body, member_path=path)

    assert copy["state"] == renamed(closed)
    assert copy["sha"] != original["sha"]
    for what in ("notices", "final", "label", "sanctions", "register", "key"):
        assert copy[what] == original[what], what
    # The first case still runs under the shipped text.
    first = body.org.cases.order_by("filed_at", "pk").first()
    assert procedure_of(first).initial == "received"
