"""What the staff credential page shows of recertification, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Prefetch

from ombuds.register.models import Activity, Credential, RecertificationCycle
from ombuds.register.recert_forms import CycleOpenForm
from ombuds.register.recertification import cycle_progress

register = template.Library()


@register.simple_tag
def credential_cycles(credential: Credential) -> dict[str, Any]:
    """The credential's cycles, newest first, each with its progress (two queries however many
    cycles and activities), and whether staff can open one now."""
    cycles = list(
        credential.cycles.order_by("-starts_on", "-pk").prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.only("id", "cycle_id", "category", "units", "review"),
            )
        )
    )
    has_open = any(c.outcome == RecertificationCycle.Outcome.OPEN for c in cycles)
    return {
        "rows": [(cycle, cycle_progress(cycle)) for cycle in cycles],
        "can_open": credential.status == Credential.Status.ACTIVE and not has_open,
        "has_open": has_open,
        "open_form": CycleOpenForm(prefix="cycle"),
    }
