"""How the staff case page words and shows what it reads: where the case is (a stepper of the
procedure's stages, from the procedure file), what a document's kind and a message's author read
as, and the problems of a form sent back, listed at the top of the page with links to the form."""

from __future__ import annotations

from dataclasses import dataclass

from ombuds.cases.procedure import Procedure
from ombuds.cases.services.complainant import COMPLAINANT_DOCUMENT

# Documents kept by Ombuds itself, not named by a procedure's inputs.
DOCUMENT_KINDS = {
    "evidence": "evidence from the complaint",
    COMPLAINANT_DOCUMENT: "sent by the complainant",
    "answer": "the respondent's answer",
    "delivery_proof": "proof of delivery",
    "case": "case record",
}


@dataclass(frozen=True)
class Step:
    name: str
    status: str  # done, current, upcoming
    states: str  # the exact state, for the current stage when it differs from the stage's name


def stepper(procedure: Procedure, state: str) -> list[Step]:
    """The procedure's stages in order (its ``stages``, else its states' labels), the case's one
    current, with the exact state named when the stage groups several."""
    names = list(procedure.stage_list())
    current = procedure.stage_of(state)
    at = names.index(current) if current in names else -1
    label = procedure.state(state).label if state in procedure.states else state
    steps = []
    for i, name in enumerate(names):
        status = "done" if i < at else "current" if i == at else "upcoming"
        steps.append(Step(name, status, label if status == "current" and label != name else ""))
    if at == -1:
        steps.append(Step(label, "current", ""))
    return steps


def document_kinds(procedure: Procedure) -> dict[str, str]:
    """A document's kind as the page words it: the procedure's label for a step's document (a
    proof of efforts), else Ombuds' own words."""
    kinds = dict(DOCUMENT_KINDS)
    for transition in procedure.transitions:
        for field in transition.inputs:
            if field.kind == "document":
                kinds[field.name] = field.label[:1].lower() + field.label[1:]
    return kinds


def document_kind(kinds: dict[str, str], kind: str) -> str:
    return kinds.get(kind) or kind.replace("_", " ")


def author(label: str, from_party: bool) -> str:
    """Who wrote a message: "the respondent, through their link" rather than the record's
    "respondent (link)" with "(party)" after it."""
    if label.endswith(" (link)"):
        return f"the {label.removesuffix(' (link)')}, through their link"
    if from_party and label in ("complainant", "respondent"):
        return f"the {label}"
    return label


def problems_with_links(forms, page_errors: list[str]) -> list[tuple[str, str]]:
    """Every problem of the form sent back, each with where it is on the page ("" when the form is
    not shown): what the summary at the top lists."""
    found = [(p, "") for p in page_errors]
    form = forms.posted()
    if form is None or not form.errors:
        return found
    anchor = _anchor(forms)
    for error in form.non_field_errors():
        found.append((error, anchor))
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        bound = form[name] if name in form.fields else None
        label = bound.label if bound is not None else name
        target = f"#{_field_id(bound)}" if bound is not None else anchor
        found.extend((f"{label}: {e}", target) for e in errors)
    seen: set[str] = set()
    # A form the page does not show has its problems in page_errors already.
    return [(p, href) for p, href in found if not (p in seen or seen.add(p))]


def _field_id(bound) -> str:
    # A group of radio buttons or checkboxes has no id of its own: its first choice has (as in
    # includes/error_summary.html).
    return bound.id_for_label or f"{bound.auto_id}_0"


def _anchor(forms) -> str:
    action = forms.action
    if action.startswith("step:"):
        return f"#step-{action.removeprefix('step:')}-title"
    if action.startswith("edit:"):
        return f"#allegation-{action.removeprefix('edit:')}"
    return {
        "allegation": "#allegations",
        "determination": "#allegations",
        "sanction": "#choose",
        "message": "#messages-h",
        "document": "#documents",
        "recusal": "#recusals-h",
    }.get(action, "")
