"""Reading a procedure file: the TOML tables turned into `ombuds.cases.procedure.model`'s
dataclasses, every problem noted instead of stopping at the first, then the whole checked
(`ombuds.cases.procedure.checker`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ombuds.cases.procedure.checker import (
    sanction_problems,
    structure_problems,
    template_problems,
)
from ombuds.cases.procedure.model import (
    DAY_COUNTS,
    EFFECT_KINDS,
    INPUT_KINDS,
    MORE_TIME_ACTIONS,
    NOTICE_RECIPIENTS,
    Deadline,
    Declared,
    Effect,
    Efforts,
    Expiry,
    Input,
    MoreTime,
    Procedure,
    ProcedureInvalid,
    State,
    Transition,
)
from ombuds.core.table_reader import TableReader


def load_file(path: str | Path) -> Procedure:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProcedureInvalid([f"{path}: cannot read it ({exc})"]) from exc
    return load(text, source=str(path))


def problems_in(
    path: str | Path,
    *,
    templates: Iterable[str] | None = None,
    sanctions: Iterable[str] | None = None,
) -> list[str]:
    """Every problem of a procedure file, one line each; empty when it can be used. With
    ``templates`` (the notice templates the case layer knows), a notice naming another is one;
    with ``sanctions`` (the register's kinds), a sanction input offering another."""
    try:
        procedure = load_file(path)
    except ProcedureInvalid as exc:
        return exc.problems
    problems = template_problems(procedure, templates) if templates is not None else []
    if sanctions is not None:
        problems += sanction_problems(procedure, sanctions)
    return [f"{path}: {p}" for p in problems]


def load(text: str, *, source: str = "<procedure>") -> Procedure:
    """Read and check a procedure; ProcedureInvalid lists every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProcedureInvalid([f"{source}: not valid TOML: {exc}"]) from exc
    reader = _Reader(source)
    procedure = reader.procedure(data)
    if reader.problems:
        raise ProcedureInvalid(reader.problems)
    problems = structure_problems(procedure)
    if problems:
        raise ProcedureInvalid([f"{source}: {p}" for p in problems])
    return dataclasses.replace(procedure, sha256=text_sha256(text))


def text_sha256(text: str) -> str:
    """The fingerprint of a procedure file's text, naming the version a case runs under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Reader(TableReader):
    """Turns the TOML tables into the dataclasses, noting every problem instead of stopping."""

    def text(self, where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where, f"{key!r} must be text")
            return default
        return value

    def names(self, where: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(where, f"{key!r} must be a list of names")
            return ()
        return tuple(value)

    def number(self, where: str, table: Mapping[str, Any], key: str) -> int:
        value = table.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.problem(where, f"{key!r} must be a whole number of 0 or more")
            return 0
        return value

    def tables(self, where: str, value: Any) -> list[Mapping[str, Any]]:
        """A list of tables ([[...]] or [{...}, ...]), or a problem when the file has something
        else (such as [transitions] written for [[transitions]])."""
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(where, "must be a list of tables ([[...]] or [{...}, ...])")
            return []
        return value

    def procedure(self, data: Mapping[str, Any]) -> Procedure:
        self.keys(
            "file", data, {"procedure", "states", "transitions", "deadlines", "case"}, ["procedure"]
        )
        head = self.table("[procedure]", data.get("procedure", {}))
        self.keys(
            "[procedure]",
            head,
            {
                "key",
                "name",
                "version",
                "initial",
                "starts_on_filing",
                "holidays",
                "description",
                "stages",
            },
            ["key", "name", "initial"],
        )
        holidays = set()
        listed = head.get("holidays", [])
        if not isinstance(listed, list):
            self.problem("[procedure]", "'holidays' must be a list of dates")
            listed = []
        for value in listed:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                holidays.add(value)
            else:
                self.problem("[procedure] holidays", f"{value!r} is not a date (YYYY-MM-DD)")
        states = {
            name: self.state(name, table)
            for name, table in self.table("[states]", data.get("states", {})).items()
        }
        transitions = tuple(
            self.transition(i, table)
            for i, table in enumerate(self.tables("transitions", data.get("transitions", [])), 1)
        )
        deadlines = {
            name: self.deadline(name, table)
            for name, table in self.table("[deadlines]", data.get("deadlines", {})).items()
        }
        return Procedure(
            key=self.text("[procedure]", head, "key"),
            name=self.text("[procedure]", head, "name"),
            version=head.get("version", 1) if isinstance(head.get("version", 1), int) else 1,
            initial=self.text("[procedure]", head, "initial"),
            states=states,
            transitions=transitions,
            deadlines=deadlines,
            starts_on_filing=self.names("[procedure]", head, "starts_on_filing"),
            holidays=frozenset(holidays),
            description=self.text("[procedure]", head, "description"),
            source=self.source,
            declared=self.declared(self.table("[case]", data.get("case", {}))),
            stages=self.names("[procedure]", head, "stages"),
        )

    def declared(self, table: Mapping[str, Any]) -> Declared:
        names = (
            "determinations_in",
            "sanction_in",
            "acknowledged_by",
            "respondent_deadlines",
            "complainant_deadlines",
        )
        self.keys("[case]", table, {*names, "efforts", "answer_deadline"})
        efforts = self.table("[case] efforts", table.get("efforts", {}))
        self.keys("[case] efforts", efforts, {"proof", "waiver"})
        return Declared(
            **{name: self.names("[case]", table, name) for name in names},
            efforts=Efforts(
                proof=self.text("[case] efforts", efforts, "proof"),
                waiver=self.text("[case] efforts", efforts, "waiver"),
            ),
            answer_deadline=self.text("[case]", table, "answer_deadline"),
        )

    def state(self, name: str, table: Mapping[str, Any]) -> State:
        where = f"[states.{name}]"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return State(name, name)
        self.keys(
            where, table, {"label", "final", "description", "stage", "complainant"}, ["label"]
        )
        return State(
            name,
            self.text(where, table, "label", name),
            self.flag(where, table, "final"),
            self.text(where, table, "description"),
            stage=self.text(where, table, "stage"),
            complainant=self.text(where, table, "complainant"),
        )

    def flag(self, where: str, table: Mapping[str, Any], key: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.problem(where, f"{key!r} must be true or false")
            return False
        return value

    def transition(self, n: int, table: Mapping[str, Any]) -> Transition:
        where = f"transition {n} ({table.get('name', '?')})"
        self.keys(
            where,
            table,
            {
                "name",
                "label",
                "from",
                "to",
                "roles",
                "inputs",
                "when",
                "starts",
                "stops",
                "effects",
                "description",
                "more_time",
            },
            ["name", "label", "from", "to", "roles"],
        )
        inputs = tuple(
            self.input(where, i, t)
            for i, t in enumerate(self.tables(f"{where} inputs", table.get("inputs", [])), 1)
        )
        effects = tuple(
            self.effect(where, i, t)
            for i, t in enumerate(self.tables(f"{where} effects", table.get("effects", [])), 1)
        )
        return Transition(
            name=self.text(where, table, "name"),
            label=self.text(where, table, "label"),
            sources=self.names(where, table, "from"),
            target=self.text(where, table, "to"),
            roles=self.names(where, table, "roles"),
            inputs=inputs,
            when=self.names(where, table, "when"),
            starts=self.names(where, table, "starts"),
            stops=self.names(where, table, "stops"),
            effects=effects,
            description=self.text(where, table, "description"),
            more_time=self.more_time(where, table["more_time"]) if "more_time" in table else None,
        )

    def more_time(self, where: str, value: Any) -> MoreTime | None:
        where = f"{where} more_time"
        if not isinstance(value, dict):
            self.problem(where, "must be a table: { deadline = ..., action = ... }")
            return None
        table = value
        self.keys(where, table, {"deadline", "action", "date"}, ["deadline", "action"])
        action = self.text(where, table, "action")
        if action and action not in MORE_TIME_ACTIONS:
            self.problem(where, f"action {action!r} is not one of {', '.join(MORE_TIME_ACTIONS)}")
        date = self.text(where, table, "date")
        if action in ("ask", "grant") and not date:
            self.problem(where, f"to {action}, name the step's date input in 'date'")
        if action == "refuse" and date:
            self.problem(where, "a refusal moves no date: leave out 'date'")
        return MoreTime(deadline=self.text(where, table, "deadline"), action=action, date=date)

    def input(self, where: str, n: int, table: Mapping[str, Any]) -> Input:
        where = f"{where}, input {n}"
        self.keys(
            where,
            table,
            {"name", "kind", "label", "required", "choices", "help"},
            ["name", "kind", "label"],
        )
        kind = self.text(where, table, "kind")
        if kind and kind not in INPUT_KINDS:
            self.problem(where, f"kind {kind!r} is not one of {', '.join(sorted(INPUT_KINDS))}")
        choices = self.names(where, table, "choices")
        if kind == "choice" and not choices:
            self.problem(where, "a choice needs its 'choices'")
        required = table.get("required", True)
        return Input(
            name=self.text(where, table, "name"),
            kind=kind,
            label=self.text(where, table, "label"),
            required=required if isinstance(required, bool) else True,
            choices=choices,
            help=self.text(where, table, "help"),
        )

    def effect(self, where: str, n: int, table: Mapping[str, Any]) -> Effect:
        where = f"{where}, effect {n}"
        self.keys(where, table, {"kind", "to", "template", "days", "when"}, ["kind"])
        kind = self.text(where, table, "kind")
        if kind and kind not in EFFECT_KINDS:
            self.problem(where, f"kind {kind!r} is not one of {', '.join(sorted(EFFECT_KINDS))}")
        to = self.names(where, table, "to")
        if kind == "notice":
            if not to:
                self.problem(where, "a notice needs 'to'")
            for recipient in to:
                if recipient not in NOTICE_RECIPIENTS:
                    self.problem(
                        where,
                        f"notice recipient {recipient!r} is not one of "
                        f"{', '.join(sorted(NOTICE_RECIPIENTS))}",
                    )
            if not table.get("template"):
                self.problem(where, "a notice needs its 'template'")
        days = self.number(where, table, "days")
        if kind == "checkin" and not days:
            self.problem(where, "a check-in needs 'days' after the step")
        return Effect(
            kind=kind,
            to=to,
            template=self.text(where, table, "template"),
            days=days,
            when=self.names(where, table, "when"),
        )

    def deadline(self, name: str, table: Mapping[str, Any]) -> Deadline:
        where = f"[deadlines.{name}]"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return Deadline(name, name)
        self.keys(
            where,
            table,
            {
                "label",
                "days",
                "months",
                "count",
                "reminders",
                "on_expiry",
                "description",
                "after_delivery",
            },
            ["label"],
        )
        days, months = self.number(where, table, "days"), self.number(where, table, "months")
        if not days and not months:
            self.problem(where, "give 'days' or 'months'")
        count = self.text(where, table, "count", "calendar")
        if count not in DAY_COUNTS:
            self.problem(where, f"'count' must be calendar or business, not {count!r}")
        reminders = table.get("reminders", [])
        if not isinstance(reminders, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in reminders
        ):
            self.problem(where, "'reminders' must be a list of days before the due date")
            reminders = []
        expiry = table.get("on_expiry", {})
        if not isinstance(expiry, dict):
            self.problem(where, "'on_expiry' must be a table")
            expiry = {}
        self.keys(f"{where} on_expiry", expiry, {"take", "start"})
        return Deadline(
            name=name,
            label=self.text(where, table, "label", name),
            days=days,
            months=months,
            count=count,
            reminders=tuple(sorted(set(reminders), reverse=True)),
            on_expiry=Expiry(
                take=self.text(f"{where} on_expiry", expiry, "take"),
                start=self.names(f"{where} on_expiry", expiry, "start"),
            ),
            description=self.text(where, table, "description"),
            after_delivery=self.flag(where, table, "after_delivery"),
        )
