"""The procedure's steps on a case: asked of the body's procedure (`ombuds.cases.procedure`), which
says whether the person's roles and the case's facts allow it; then the state moves, deadlines stop
and start, the step's effects happen (notices, the register, publication, check-ins, recusals) and
the step is on the record, in one transaction."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.cases.facts import facts
from ombuds.cases.models import Allegation, Case, Document
from ombuds.cases.procedure import Procedure, ProcedureRefused, Transition, parse_date
from ombuds.cases.rules import HANDLERS, CaseRefused
from ombuds.cases.selectors import is_recused, procedure_of, roles_on_case, running_deadlines
from ombuds.cases.services import counts
from ombuds.cases.services.base import bump, label_for, lock_case, record_event
from ombuds.cases.services.deadlines import (
    deadline_start,
    deadlines_stop,
    more_time,
    next_due_refresh,
)
from ombuds.cases.services.decisions import (
    allegation_add,
    determination_record,
    sanction_choose,
    verbatim_release,
)
from ombuds.cases.services.documents import document_store, files_removed_on_failure, uploads_check
from ombuds.cases.services.effects import effects_run
from ombuds.codes.models import Provision


def case_step(
    *,
    case: Case,
    step: str,
    acting_user: Any = None,
    actor_label: str = "",
    roles: set[str] | None = None,
    inputs: dict[str, Any] | None = None,
    files: dict[str, tuple[str, bytes]] | None = None,
    expected_version: int | None = None,
    confirm_verbatim: str = "",
) -> Case:
    """Take one step of the case's procedure, as the person's roles and the case's facts allow:
    deadlines stop and start, effects happen (notices, the register, publication, check-ins), and the
    step is on the record. ``roles`` defaults to the acting user's roles on the case; a respondent
    through their link passes {"respondent"}, the clock {"system"}. A step that first notifies the
    respondent is refused while an allegation is still the narrative of a complainant who does not
    share their identity, unless ``confirm_verbatim`` gives the handler's reason to send it."""
    inputs = dict(inputs or {})
    files = dict(files or {})
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, expected_version)
        procedure = procedure_of(case)
        roles = _acting_roles(case, acting_user, roles)
        uploads_check(list(files.values()))
        inputs.update({name: filename for name, (filename, _data) in files.items()})
        try:
            transition = procedure.check(
                case.state,
                step,
                roles=roles,
                facts=facts(case),
                inputs=inputs,
                running=running_deadlines(case),
            )
        except ProcedureRefused as exc:
            raise CaseRefused(str(exc)) from exc
        inputs, files = _declared(transition, inputs, files)
        _findings_record(case, transition, inputs, acting_user)
        _allegations_record(case, transition, inputs, acting_user)
        _sanction_record(case, transition, inputs, acting_user)
        released = verbatim_release(case, transition, confirm_verbatim)
        label = label_for(acting_user, actor_label)
        source = case.state
        claims = _claims(case, acting_user, roles)
        moved = _move(
            case, procedure, transition, inputs, files, user=acting_user, label=label, claims=claims
        )
        done = effects_run(case, transition, acting_user=acting_user, label=label, inputs=inputs)
        record_event(
            case,
            "case.step",
            {
                "step": transition.name,
                "label": transition.label,
                "from": source,
                "to": transition.target,
                "roles": sorted(roles),
                "inputs": {
                    k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in inputs.items()
                    if isinstance(v, str | int | bool | dt.date)
                },
                **done,
                **released,
                # The first step a handler takes on an unhandled case makes it theirs.
                **({"handler": acting_user.get_username()} if claims else {}),
            },
            user=acting_user,
            label=label,
        )
        if moved:
            record_event(case, "case.deadline_moved", moved, user=acting_user, label=label)
    return case


def _claims(case: Case, user: Any, roles: set[str]) -> bool:
    """Whether the step makes its taker the case's handler: the first step a handler (the chair,
    an investigator, staff, an administrator) takes on a case nobody handles yet. Without it every
    case would stay unhandled until someone chose "Handle it myself"."""
    return case.handler_id is None and bool(getattr(user, "pk", None)) and bool(roles & HANDLERS)


def _acting_roles(case: Case, user: Any, roles: set[str] | None) -> set[str]:
    """The roles the step is taken with: those given, else the user's on the case (CaseRefused for
    someone recused)."""
    if roles is not None:
        return set(roles)
    roles = roles_on_case(user, case)
    if not roles and is_recused(user, case):
        raise CaseRefused("you are recused from this case")
    return roles


def _declared(
    transition: Transition, inputs: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Only what the step declares: other inputs are ignored (a form posts more than the step
    asks, and an extra field must not set a fact such as a waiver), other files are refused. Date
    inputs are read as dates (the procedure has checked them)."""
    documents = {i.name for i in transition.inputs if i.kind == "document"}
    extra = sorted(set(files) - documents)
    if extra:
        raise CaseRefused(f"“{transition.label}” takes no document called {', '.join(extra)}")
    declared = {i.name for i in transition.inputs}
    inputs = {k: v for k, v in inputs.items() if k in declared}
    for i in transition.inputs:
        if i.kind == "date" and i.name in inputs:
            inputs[i.name] = parse_date(inputs[i.name])  # checked: a date (or left empty)
    return inputs, files


def _findings_record(case: Case, transition: Transition, inputs: dict[str, Any], user: Any) -> None:
    """The committee's findings given with the step (a ``determinations`` input: a list of
    ``{"allegation": position, "determination": "upheld" | "not_upheld", "reasons": text}``),
    each recorded by `determination_record` in the step's transaction. A required input decides
    every allegation still pending. The input stays on the step's record as "1: upheld; ...".
    CaseRefused lists every problem."""
    for i in transition.inputs:
        if i.kind != "determinations" or i.name not in inputs:
            continue
        findings, problems = _findings_read(inputs[i.name])
        pending = {
            a.position: a
            for a in case.allegations.filter(determination=Allegation.Determination.PENDING)
        }
        for position in sorted(set(findings) - set(pending)):
            problems.append(f"allegation {position} is not waiting for a determination")
        if i.required:
            for position in sorted(set(pending) - set(findings)):
                problems.append(f"allegation {position} needs a determination")
        if problems:
            raise CaseRefused(problems)
        for position, (determination, reasons) in sorted(findings.items()):
            determination_record(
                allegation=pending[position],
                determination=determination,
                reasons=reasons,
                acting_user=user,
            )
        inputs[i.name] = "; ".join(f"{p}: {d}" for p, (d, _r) in sorted(findings.items()))
        # The determinations moved the case's version on: the step saves after them.
        case.version = Case.objects.values_list("version", flat=True).get(pk=case.pk)


def _allegations_record(
    case: Case, transition: Transition, inputs: dict[str, Any], user: Any
) -> None:
    """A new allegation given with the step (an ``allegation`` input: ``{"summary": text,
    "provisions": [citations]}``, the citations of the code version the case was filed under),
    added by `allegation_add` in the step's transaction. The input stays on the step's record as
    "allegation N: summary"."""
    for i in transition.inputs:
        if i.kind != "allegation" or i.name not in inputs:
            continue
        value = inputs[i.name]
        if isinstance(value, str):
            value = {"summary": value, "provisions": []}
        summary = value.get("summary") if isinstance(value, dict) else None
        citations = value.get("provisions", []) if isinstance(value, dict) else None
        if not isinstance(summary, str) or not isinstance(citations, list):
            raise CaseRefused(f"{i.label}: give the allegation's text and the provisions it cites")
        if not all(isinstance(c, str) for c in citations):
            raise CaseRefused(f"{i.label}: the provisions are citations, such as 1.1(a)")
        found = {
            p.citation: p
            for p in Provision.objects.filter(
                version_id=case.code_version_id, citation__in=citations
            )
        }
        unknown = [c for c in citations if c not in found]
        if unknown:
            raise CaseRefused(
                [
                    f"{i.label}: no provision {c} in the code the case was filed under"
                    for c in unknown
                ]
            )
        allegation = allegation_add(
            case=case,
            summary=summary,
            provisions=[found[c] for c in dict.fromkeys(citations)],
            acting_user=user,
        )
        inputs[i.name] = f"allegation {allegation.position}: {allegation.summary}"
        case.version = Case.objects.values_list("version", flat=True).get(pk=case.pk)


SANCTION_DATES = ("effective_from", "effective_until", "public_until")
SANCTION_NEEDS = ("kind", "summary", "effective_from", "publication")


def _sanction_record(case: Case, transition: Transition, inputs: dict[str, Any], user: Any) -> None:
    """The sanction chosen with the step (a ``sanction`` input: the sanction form's fields, such as
    ``{"kind": "reprimand", "summary": ..., "effective_from": "2026-05-01", "publication":
    "public"}``; its kinds limited to the input's ``choices`` when it has some), chosen by
    `sanction_choose` in the step's transaction, citing the upheld allegations' provisions."""
    for i in transition.inputs:
        if i.kind != "sanction" or i.name not in inputs:
            continue
        value = inputs[i.name]
        if not isinstance(value, dict):
            raise CaseRefused(
                f"{i.label}: give the sanction's kind, summary, dates and publication"
            )
        taken = set(inspect.signature(sanction_choose).parameters) - {
            "case",
            "acting_user",
            "expected_version",
            "provisions",
        }
        fields = {k: v for k, v in value.items() if v not in (None, "")}
        problems = [f"{i.label}: no field called {k}" for k in sorted(set(fields) - taken)]
        problems += [
            f"{i.label}: give its {k.replace('_', ' ')}" for k in SANCTION_NEEDS if k not in fields
        ]
        for name in SANCTION_DATES:
            if name in fields:
                fields[name] = parse_date(fields[name])
                if fields[name] is None:
                    problems.append(f"{i.label}: {name.replace('_', ' ')} is a date (YYYY-MM-DD)")
        if i.choices and fields.get("kind") not in i.choices:
            problems.append(f"{i.label}: the sanction is one of {', '.join(i.choices)}")
        if problems:
            raise CaseRefused(problems)
        upheld = case.allegations.filter(determination=Allegation.Determination.UPHELD)
        provisions = {p.pk: p for a in upheld for p in a.provisions.all()}
        choice = sanction_choose(
            case=case, provisions=list(provisions.values()), acting_user=user, **fields
        )
        inputs[i.name] = f"{choice.kind}: {choice.summary}"
        case.version = Case.objects.values_list("version", flat=True).get(pk=case.pk)


DECIDED = (Allegation.Determination.UPHELD, Allegation.Determination.NOT_UPHELD)


def _findings_read(value: Any) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """The findings sent, by allegation position, and every problem with them."""
    if isinstance(value, dict):
        value = [{"allegation": k, **v} if isinstance(v, dict) else v for k, v in value.items()]
    if not isinstance(value, list):
        return {}, ["the determinations are a list of allegation, determination and reasons"]
    findings: dict[int, tuple[str, str]] = {}
    problems: list[str] = []
    for n, finding in enumerate(value, 1):
        if not isinstance(finding, dict):
            problems.append(f"determination {n}: give its allegation, determination and reasons")
            continue
        position = finding.get("allegation")
        if isinstance(position, str) and position.strip().isdigit():
            position = int(position)
        if not isinstance(position, int) or isinstance(position, bool):
            problems.append(f"determination {n}: which allegation (its number)?")
            continue
        determination = finding.get("determination")
        reasons = finding.get("reasons")
        if determination not in DECIDED:
            problems.append(f"allegation {position}: the determination is upheld or not_upheld")
        if not isinstance(reasons, str) or not reasons.strip():
            problems.append(f"allegation {position}: give the reasons for the determination")
        if position in findings:
            problems.append(f"allegation {position} is decided twice")
        findings[position] = (str(determination), str(reasons or ""))
    return findings, problems


def _move(
    case: Case,
    procedure: Procedure,
    transition: Transition,
    inputs: dict[str, Any],
    files: dict[str, tuple[str, bytes]],
    *,
    user: Any,
    label: str,
    claims: bool = False,
) -> dict[str, Any]:
    """The case in the step's target state with its documents, dates and deadlines (and its new
    handler when the step ``claims`` it); the deadline moved by more time granted, for the record
    ({} when none)."""
    changed = ["state"]
    if claims:
        case.handler = user
        changed.append("handler")
    source, was_open = case.state, case.closed_at is None
    case.state = transition.target
    now = timezone.now()
    for name, (filename, data) in files.items():
        # The step's record names the document by its token, never by the file's name.
        inputs[name] = document_store(
            case,
            filename,
            data,
            kind=name,
            visibility=Document.Visibility.INTERNAL,
            user=user,
            label=label,
            audit_it=False,
        ).token
    declared = procedure.declared
    if transition.name in declared.acknowledged_by:
        case.acknowledged_at = case.acknowledged_at or now
        changed.append("acknowledged_at")
    if declared.efforts.proof and declared.efforts.proof in files:
        case.efforts_proven_at = now
        changed.append("efforts_proven_at")
    if declared.efforts.waiver and inputs.get(declared.efforts.waiver):
        case.efforts_waived_reason = str(inputs[declared.efforts.waiver]).strip()
        changed.append("efforts_waived_reason")
    if procedure.state(transition.target).final:
        case.closed_at = now
        changed.append("closed_at")
    deadlines_stop(case, transition.stops, met=True, refresh=False)
    for deadline in transition.starts:
        deadline_start(case, procedure, deadline, timezone.localdate(), refresh=False)
    moved = more_time(case, procedure, transition, inputs, refresh=False)
    next_due_refresh(case)
    counts.case_moved(
        case.organization_id, source, case.state, was_open=was_open, is_open=case.closed_at is None
    )
    bump(case, *changed)
    return moved
