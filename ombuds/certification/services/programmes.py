"""Installing a programme's requirements: the file checked whole (its form, the credential programme
it names in the body's register, the provisions its statements cite in the code in force), then
kept as text, one row per version, on the audit chain."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.certification.models import Requirements
from ombuds.certification.requirements import (
    RequirementsInvalid,
    citations_problems,
    load,
)
from ombuds.certification.services.common import CertificationRefused, real_user
from ombuds.codes.selectors import current_version
from ombuds.register.models import CredentialProgram


def code_citations(organization: Organization) -> set[str] | None:
    """The citations of the body's code in force (None when it has no published code)."""
    version = current_version(organization)
    if version is None:
        return None
    return set(version.provisions.values_list("citation", flat=True))


def requirements_problems(organization: Organization, text: str, *, source: str) -> list[str]:
    """Every problem of a requirements file for this body (empty when it can be installed)."""
    try:
        spec = load(text, source=source)
    except RequirementsInvalid as exc:
        return exc.problems
    problems = [f"{source}: {p}" for p in citations_problems(spec, code_citations(organization))]
    if not CredentialProgram.objects.filter(
        organization=organization, code=spec.credential
    ).exists():
        problems.append(
            f"{source}: [programme]: {organization.short_name}'s register has no credential "
            f"programme {spec.credential!r}"
        )
    return problems


def requirements_install(
    *, organization: Organization, text: str, acting_user: Any = None, actor_label: str = ""
) -> Requirements:
    """Install a version of a programme's requirements once its every problem is gone
    (CertificationRefused listing them otherwise). Installing the same text again changes nothing;
    other words under an installed version are refused. Applications started after use it; those
    started before keep the version they were made under."""
    problems = requirements_problems(organization, text, source="requirements")
    if problems:
        raise CertificationRefused(problems)
    spec = load(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        program = CredentialProgram.objects.select_for_update().get(
            organization=organization, code=spec.credential
        )
        same = Requirements.objects.filter(program=program, version=spec.version).first()
        if same is not None:
            if same.sha256 != digest:
                raise CertificationRefused(
                    f"version {spec.version} of {spec.key} is installed with other words: give "
                    "this text a new version"
                )
            return same
        installed = Requirements.objects.create(
            program=program,
            key=spec.key,
            version=spec.version,
            text=text,
            sha256=digest,
            installed_by=real_user(acting_user),
        )
        audit.record(
            action="certification.requirements_installed",
            subject_type="certification.requirements",
            subject_id=installed.pk,
            data={"key": spec.key, "version": spec.version, "sha256": digest},
            organization=organization,
            actor=acting_user,
            actor_label=actor_label,
        )
    return installed


def requirements_current(program: CredentialProgram) -> Requirements | None:
    """The version applications start under now: the one installed last."""
    return Requirements.objects.filter(program=program).order_by("-installed_at", "-pk").first()
