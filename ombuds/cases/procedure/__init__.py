"""Procedures as data: a body's disciplinary procedure read from a TOML file, checked as a whole
when it is loaded, and asked which steps a case may take. Pure Python, no Django.

A procedure has states, transitions between them (who may take each, what it requires, which
deadlines it starts and stops, and its effects), and deadlines (how many days, counted on the
calendar or in business days, reminders before, and what happens when one passes). The file
format is described in docs/procedures.md; `ombuds procedures check FILE` runs `problems_in`.

The case layer owns the facts (is the respondent a member, was proof of efforts given), the
deadlines running on a case and the effects (notices, register changes, moving a due date); this
module only decides.

A step may also ask for more time on a running deadline, or grant or refuse such a request
(`more_time`): the case layer keeps a request waiting for a decision next to the deadline it asks to
move (under `more_time_key`), and this module checks that the deadline runs, that no request is
already waiting (or that one is, to decide it), and that the date asked for or granted is not
before the due date.

The package: `model` (the dataclasses and what a procedure decides), `reader` (a file read and
every problem noted), `checker` (a procedure checked as a whole).
"""

from __future__ import annotations

from pathlib import Path

from ombuds.cases.procedure.checker import sanction_problems, template_problems
from ombuds.cases.procedure.model import (
    BODY_ROLES,
    CASE_ROLES,
    DAY_COUNTS,
    EFFECT_KINDS,
    FACTS,
    INPUT_KINDS,
    MORE_TIME_ACTIONS,
    NOTICE_RECIPIENTS,
    ROLES,
    SYSTEM,
    Deadline,
    Declared,
    Effect,
    Efforts,
    Expiry,
    Input,
    MoreTime,
    Procedure,
    ProcedureInvalid,
    ProcedureRefused,
    State,
    Transition,
    more_time_key,
    parse_date,
    readable_date,
)
from ombuds.cases.procedure.reader import load, load_file, problems_in, text_sha256

__all__ = [
    "BODY_ROLES",
    "CASE_ROLES",
    "DAY_COUNTS",
    "EFFECT_KINDS",
    "FACTS",
    "INPUT_KINDS",
    "MORE_TIME_ACTIONS",
    "NOTICE_RECIPIENTS",
    "PROCEDURES_DIR",
    "ROLES",
    "SYSTEM",
    "Deadline",
    "Declared",
    "Effect",
    "Efforts",
    "Expiry",
    "Input",
    "MoreTime",
    "Procedure",
    "ProcedureInvalid",
    "ProcedureRefused",
    "State",
    "Transition",
    "load",
    "load_file",
    "more_time_key",
    "parse_date",
    "problems_in",
    "readable_date",
    "sanction_problems",
    "shipped",
    "template_problems",
    "text_sha256",
]

# --- the procedures shipped with Ombuds -----------------------------------------------------------

PROCEDURES_DIR = Path(__file__).parent.parent / "procedures"


def shipped() -> dict[str, Procedure]:
    """The procedure files in ombuds/cases/procedures, by key."""
    found = {}
    for path in sorted(PROCEDURES_DIR.glob("*.toml")):
        procedure = load_file(path)
        found[procedure.key] = procedure
    return found
