"""The register's records of people, agencies and affiliations: every change is one call here.

Each call locks the row it changes, refuses a stale change (the caller sends the version it read:
`version_of`), checks the values (the staff pages, the API and the admin only parse input, so they
cannot disagree), and writes its audit event with the old and new value of each field that changed,
and who changed it, in the same transaction. Nothing changed, nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.core.changes import (
    WHOLE,
    ChangedMeanwhile,
    ChangeRefused,
    changes_of,
    clean_values,
    version_of,
)
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Affiliation, Agency, Person
from ombuds.register.names import unsafe_character

__all__ = [
    "AGENCY_FIELDS",
    "PERSON_FIELDS",
    "WHOLE",
    "ChangeRefused",
    "ChangedMeanwhile",
    "affiliation_save",
    "agency_clean",
    "agency_save",
    "person_clean",
    "person_save",
    "version_of",
]

PERSON_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "city",
    "region",
    "country",
    "external_id",
)
AGENCY_FIELDS = (
    "legal_name",
    "trade_names",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "email",
    "phone",
    "website",
    "external_id",
)


# --- the rules ------------------------------------------------------------------------------------


class _Country(forms.CharField):
    """An ISO 3166 code, stored in upper case."""

    def __init__(self) -> None:
        super().__init__(max_length=2, required=False)

    def clean(self, value: Any) -> str:
        value = super().clean(value).upper()
        if value and not (len(value) == 2 and value.isalpha()):
            raise ValidationError("Use the two-letter ISO 3166 code, e.g. US.")
        return value


class _Names(forms.Field):
    """A list of names (an agency's trade names): one per item, empty ones dropped."""

    def clean(self, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) or not all(isinstance(name, str) for name in value):
            raise ValidationError("give a list of names")
        if any("\n" in name or "\r" in name for name in value):
            raise ValidationError("give one name per item, without line breaks")
        return [name.strip() for name in value if name.strip()]


# Fields shown as names, searched and compared (CSEC 4.2): no control characters, no direction
# controls that would display one name as another.
NAME_FIELDS = frozenset(["given_name", "family_name", "legal_name", "trade_names", "city"])


def _unsafe_names(cleaned: Mapping[str, Any]) -> dict[str, list[str]]:
    errors = {}
    for name in NAME_FIELDS & set(cleaned):
        value = cleaned[name]
        for item in value if isinstance(value, list) else [value]:
            reason = unsafe_character(item)
            if reason:
                errors[name] = [f"“{item}” {reason}."]
                break
    return errors


def _rules(model: type[models.Model], names: tuple[str, ...], **own: forms.Field):
    """Each field's rule: the model field's own (required, length, format), or the one given."""
    return {name: own.get(name) or model._meta.get_field(name).formfield() for name in names}


_PERSON_RULES = _rules(Person, PERSON_FIELDS, country=_Country())
_AGENCY_RULES = _rules(
    Agency,
    AGENCY_FIELDS,
    country=_Country(),
    trade_names=_Names(),
    website=forms.URLField(max_length=200, required=False, assume_scheme="https"),
)


def _clean(
    model: type[models.Model],
    rules: Mapping[str, forms.Field],
    *,
    organization: Organization,
    instance: models.Model | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    unknown = set(values) - set(rules)
    if unknown:
        raise ValueError(f"not fields of a {model.__name__}: {', '.join(sorted(unknown))}")
    if instance is None:  # a new record: what is not given is empty, and checked as such
        values = {name: values.get(name, "") for name in rules}
    cleaned, errors = clean_values(rules, values)
    errors = {**_unsafe_names(cleaned), **errors}
    external_id = cleaned.get("external_id")
    if external_id and (
        model.objects.filter(organization=organization, external_id=external_id)
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors["external_id"] = [
            f"{external_id!r} is already the identifier of another record of this body."
        ]
    if errors:
        # In the order of the fields, as a form lists them.
        raise ChangeRefused({name: errors[name] for name in rules if name in errors})
    return cleaned


def person_clean(
    *, organization: Organization, values: Mapping[str, Any], person: Person | None = None
) -> dict[str, Any]:
    """The values of a person as they would be saved; raises ChangeRefused listing every problem.
    Only the fields given are checked, and all of them for a new person."""
    return _clean(Person, _PERSON_RULES, organization=organization, instance=person, values=values)


def agency_clean(
    *, organization: Organization, values: Mapping[str, Any], agency: Agency | None = None
) -> dict[str, Any]:
    """The values of an agency as they would be saved; raises ChangeRefused listing every problem
    (`trade_names` is a list of names)."""
    return _clean(Agency, _AGENCY_RULES, organization=organization, instance=agency, values=values)


# --- the writes -----------------------------------------------------------------------------------


def _locked(model: type[models.Model], instance: models.Model, **scope: Any) -> models.Model:
    return model.objects.select_for_update().get(pk=instance.pk, **scope)


def _refuse_stale(current: models.Model, expected_version: str | None, name: str) -> None:
    if expected_version is not None and version_of(current) != expected_version:
        raise ChangedMeanwhile(
            f"{name} was changed by someone else since you read it: reload it and make your "
            "change again"
        )


def _write(
    instance: models.Model,
    *,
    kind: str,
    organization: Organization,
    changed: dict[str, dict[str, Any]],
    created: bool,
    acting_user: Any,
    data: dict[str, Any] | None = None,
) -> None:
    """Save the changed fields and record the event, in the caller's transaction."""
    for name, change in changed.items():
        setattr(instance, name, change["new"])
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on to refuse
            if created:
                if getattr(acting_user, "pk", None):
                    instance.created_by = acting_user
                instance.save(force_insert=True)
            else:
                instance.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:  # a concurrent request created the same identifier first
        ref = getattr(instance, "external_id", "")
        name = f"{kind} {ref}" if ref else f"this {kind}"
        raise ChangedMeanwhile(f"{name} was created meanwhile; retry") from exc
    audit.record(
        action=f"register.{kind}_{'created' if created else 'changed'}",
        subject_type=kind,
        subject_id=instance.pk,
        data={**(data or {}), "changes": changed},
        organization=organization,
        actor=acting_user,
    )


@transaction.atomic
def person_save(
    *,
    organization: Organization,
    values: Mapping[str, Any],
    person: Person | None = None,
    expected_version: str | None = None,
    acting_user: Any = None,
) -> Person:
    """Add a person to the body's register, or change one (give ``person``): only the fields in
    ``values`` change (`PERSON_FIELDS`). ``expected_version`` is the version the caller read
    (`version_of`); if the person has changed since, raises ChangedMeanwhile. Raises ChangeRefused
    listing every problem with the values. Writes nothing, and records nothing, when nothing
    changes; otherwise one audit event with each changed field's old and new value."""
    return _save(
        Person,
        person_clean,
        label=lambda p: p.full_name,
        organization=organization,
        values=values,
        record=person,
        expected_version=expected_version,
        acting_user=acting_user,
    )


@transaction.atomic
def agency_save(
    *,
    organization: Organization,
    values: Mapping[str, Any],
    agency: Agency | None = None,
    expected_version: str | None = None,
    acting_user: Any = None,
) -> Agency:
    """Add an agency to the body's register, or change one (give ``agency``): as `person_save`,
    for `AGENCY_FIELDS`. Names a client could confuse with another agency's (CSEC 4.2) are the
    caller's to warn about (`services.similar_agencies`): they do not stop the change."""
    return _save(
        Agency,
        agency_clean,
        label=lambda a: a.legal_name,
        organization=organization,
        values=values,
        record=agency,
        expected_version=expected_version,
        acting_user=acting_user,
    )


def _save(
    model: type[Person] | type[Agency],
    clean: Callable[..., dict[str, Any]],
    *,
    label: Callable[[Any], str],
    organization: Organization,
    values: Mapping[str, Any],
    record: Any,
    expected_version: str | None,
    acting_user: Any,
) -> Any:
    """What `person_save` and `agency_save` share: lock and stale-check the record being changed,
    check the values, and write with one audit event only when something changed."""
    kind = model._meta.model_name  # "person" or "agency": the keyword `clean` takes and the event's
    if record is not None and record.pk:
        record = _locked(model, record, organization=organization)
        _refuse_stale(record, expected_version, f"{label(record)}'s record")
    else:
        record = None
    cleaned = clean(organization=organization, values=values, **{kind: record})
    created = record is None
    target = record or model(organization=organization)
    changed = changes_of(target, cleaned)
    if changed or created:
        _write(
            target,
            kind=kind,
            organization=organization,
            changed=changed,
            created=created,
            acting_user=acting_user,
        )
    return target


def _affiliation_problem(
    *, agency: Agency, person: Person, role: str, start_date: Any, end_date: Any
) -> str:
    if agency.organization_id != person.organization_id:
        return "the person and the agency belong to different bodies"
    if role not in Affiliation.Role.values:
        return f"role must be one of {', '.join(Affiliation.Role.values)}, not {role!r}"
    if start_date and end_date and end_date < start_date:
        return "the affiliation must end after it starts"
    if end_date and end_date > timezone.localdate() + dt.timedelta(days=366):
        return "an end date more than a year ahead is a guess: leave it open"
    return ""


def _overlap(
    *,
    agency: Agency,
    person: Person,
    role: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    affiliation: Affiliation | None,
) -> str:
    """Periods in the same role at the same agency may not overlap: the one this one would."""
    same = Affiliation.objects.select_for_update().filter(agency=agency, person=person, role=role)
    if affiliation is not None:
        same = same.exclude(pk=affiliation.pk)
    far_past, far_future = dt.date.min, dt.date.max
    for other in same:
        if (start_date or far_past) <= (other.end_date or far_future) and (
            other.start_date or far_past
        ) <= (end_date or far_future):
            period = f"{other.start_date or 'no start date'} to {other.end_date or 'now'}"
            return f"{person} is already {other.get_role_display().lower()} of {agency} ({period})"
    return ""


@transaction.atomic
def affiliation_save(
    *,
    agency: Agency,
    person: Person,
    role: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    affiliation: Affiliation | None = None,
    expected_version: str | None = None,
    acting_user: Any = None,
) -> Affiliation:
    """Add a person's affiliation with an agency (employee, agent, principal), or change one (give
    ``affiliation``); ending it is setting its end date. Periods in the same role may not overlap.
    Raises TransitionRefused with the reason, or ChangedMeanwhile when ``expected_version`` is not
    the affiliation's version any more; records the change with its old and new values."""
    if affiliation is not None:
        affiliation = _locked(Affiliation, affiliation)
        _refuse_stale(affiliation, expected_version, f"{person}'s affiliation with {agency}")
    problem = _affiliation_problem(
        agency=agency, person=person, role=role, start_date=start_date, end_date=end_date
    ) or _overlap(
        agency=agency,
        person=person,
        role=role,
        start_date=start_date,
        end_date=end_date,
        affiliation=affiliation,
    )
    if problem:
        raise TransitionRefused(problem)
    created = affiliation is None
    if created:
        affiliation = Affiliation(agency=agency, person=person)
    elif affiliation.agency_id != agency.pk or affiliation.person_id != person.pk:
        raise TransitionRefused("an affiliation's person and agency do not change; end it instead")
    changed = changes_of(
        affiliation, {"role": role, "start_date": start_date, "end_date": end_date}
    )
    if changed or created:
        _write(
            affiliation,
            kind="affiliation",
            organization=agency.organization,
            changed=changed,
            created=created,
            acting_user=acting_user,
            data={"person": person.pk, "agency": agency.pk},
        )
    return affiliation
