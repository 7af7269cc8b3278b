"""What apps above the register add to its staff pages, without the register importing them.

A person's staff page shows more than the register keeps: where the person stands with their
account (`ombuds.accounts`), for one. The register does not import those apps (they sit above it);
each registers what it adds, once, in its `AppConfig.ready()`:

    person_page_register(
        name="account",
        annotate=selectors.with_account,  # the queryset the page loads the person from
        context=selectors.person_account,  # the page's context["account"]
    )

The page then loads the person through `person_page_people` (one query, whatever is added) and
adds `person_page_context(person)` to its own context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ombuds.register.models import Person


@dataclass(frozen=True)
class PersonPageExtension:
    name: str  # the key of the page's context
    annotate: Callable[[QuerySet[Person]], QuerySet[Person]] | None
    context: Callable[[Person], Any]


_extensions: dict[str, PersonPageExtension] = {}


def person_page_register(
    *,
    name: str,
    context: Callable[[Person], Any],
    annotate: Callable[[QuerySet[Person]], QuerySet[Person]] | None = None,
) -> None:
    """Add ``context(person)`` to a person's staff page under ``name``; ``annotate`` prepares the
    queryset the person is loaded from (so that ``context`` runs no query more). Registering the
    same name again replaces it."""
    _extensions[name] = PersonPageExtension(name=name, annotate=annotate, context=context)


def person_page_people(people: QuerySet[Person]) -> QuerySet[Person]:
    """``people`` prepared for every registered extension."""
    for extension in _extensions.values():
        if extension.annotate is not None:
            people = extension.annotate(people)
    return people


def person_page_context(person: Person) -> dict[str, Any]:
    """What the registered extensions add to the person's staff page."""
    return {name: extension.context(person) for name, extension in _extensions.items()}
