"""A body's own procedure, installed without a code change: the file is checked (every problem at
once), stored as a new version (`ProcedureVersion`) and becomes the procedure its cases are filed
under from then on; the cases already running keep the version they were filed under
(`Case.procedure_sha256`, recorded at filing, `procedure_version_keep`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.cases.models import BodyProcedure, ProcedureVersion
from ombuds.cases.notices import DEFAULTS
from ombuds.cases.procedure import (
    Procedure,
    ProcedureInvalid,
    load,
    sanction_problems,
    template_problems,
    text_sha256,
)
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import procedure_version_current, shipped_procedures
from ombuds.cases.services.base import account
from ombuds.register.models import Sanction


def procedure_problems(text: str, *, source: str = "<procedure>") -> list[str]:
    """Every problem of a procedure's text, the notice templates and sanctions it names included;
    empty when it can be installed."""
    try:
        procedure = load(text, source=source)
    except ProcedureInvalid as exc:
        return exc.problems
    problems = template_problems(procedure, DEFAULTS)
    problems += sanction_problems(procedure, Sanction.Kind.values)
    return [f"{source}: {p}" for p in problems]


def procedure_install(
    *,
    organization: Organization,
    text: str,
    source: str = "<procedure>",
    acting_user: Any = None,
) -> ProcedureVersion:
    """Store the procedure as the body's next version of its key, and file the body's new cases
    under it; cases already filed keep theirs. Raises ProcedureInvalid listing every problem, and
    CaseRefused when this text is already the body's current procedure. On the record
    (``procedure.installed``)."""
    problems = procedure_problems(text, source=source)
    if problems:
        raise ProcedureInvalid(problems)
    procedure = load(text, source=source)
    with transaction.atomic():
        chosen, _ = BodyProcedure.objects.select_for_update().get_or_create(
            organization=organization, defaults={"procedure_key": procedure.key}
        )
        now_current = procedure_version_current(organization, chosen.procedure_key)
        if chosen.procedure_key == procedure.key and (
            (now_current is not None and now_current.sha256 == procedure.sha256)
            or (now_current is None and _shipped_sha(procedure.key) == procedure.sha256)
        ):
            raise CaseRefused(f"this text is already {organization.short_name}'s procedure")
        version = ProcedureVersion.objects.create(
            organization=organization,
            key=procedure.key,
            number=_next_number(organization, procedure.key),
            text=text,
            sha256=procedure.sha256,
            installed_at=timezone.now(),
            installed_by=account(acting_user),
        )
        previous = chosen.procedure_key
        chosen.procedure_key = procedure.key
        chosen.save(update_fields=["procedure_key"])
        audit.record(
            action="procedure.installed",
            subject_type="procedure",
            subject_id=f"{procedure.key} v{version.number}",
            organization=organization,
            actor=acting_user,
            data={
                "key": procedure.key,
                "number": version.number,
                "sha256": procedure.sha256,
                "name": procedure.name,
                "source": source,
                "replaces": previous,
            },
        )
    return version


def procedure_version_keep(organization_id: int, procedure: Procedure) -> None:
    """At filing, inside its transaction, for a case filed under this version of the procedure
    (``Case.procedure_sha256``): a shipped file is stored as the body's version the first time one
    of its cases runs under it, so that a later release changing the file leaves the case's text as
    it was."""
    if (
        procedure.sha256
        and not ProcedureVersion.objects.filter(
            organization_id=organization_id, sha256=procedure.sha256
        ).exists()
    ):
        BodyProcedure.objects.select_for_update().filter(
            organization_id=organization_id
        ).first()  # one number at a time per body
        ProcedureVersion.objects.create(
            organization_id=organization_id,
            key=procedure.key,
            number=_next_number(organization_id, procedure.key),
            text=_shipped_text(procedure),
            sha256=procedure.sha256,
            shipped=True,
            installed_at=timezone.now(),
        )


def _next_number(organization: Organization | int, key: str) -> int:
    last = ProcedureVersion.objects.filter(organization=organization, key=key).aggregate(
        n=Max("number")
    )["n"]
    return (last or 0) + 1


def _shipped_sha(key: str) -> str:
    ours = shipped_procedures().get(key)
    return ours.sha256 if ours else ""


def _shipped_text(procedure: Procedure) -> str:
    """The text of a shipped procedure (the file it was read from)."""
    text = Path(procedure.source).read_text(encoding="utf-8")
    if text_sha256(text) != procedure.sha256:
        raise CaseRefused(f"the procedure file {procedure.source} changed while Ombuds runs")
    return text
