"""Agency names a client could confuse (CSEC 4.2)."""

from __future__ import annotations

from ombuds.bodies.models import Organization
from ombuds.register.models import Agency
from ombuds.register.names import THRESHOLD, normalise_name, similarity


def similar_agencies(
    *,
    organization: Organization,
    names: list[str],
    exclude_pk: int | None = None,
    threshold: float | None = None,
) -> list[tuple[Agency, str, float]]:
    """Agencies whose legal or trade names a client could confuse with ``names`` (CSEC 4.2).

    Compares names with legal-form words ("LLC", "Services") and punctuation removed; returns
    (agency, the name it matched, similarity 0-1), most similar first. Every agency of the body is
    compared (one record's names at a time); a whole file is checked through `names.NameIndex`.
    """
    threshold = THRESHOLD if threshold is None else threshold
    wanted = [(normalise_name(n), n) for n in names if n.strip()]
    found: dict[int, tuple[Agency, str, float]] = {}
    for agency in Agency.objects.filter(organization=organization).exclude(pk=exclude_pk):
        for other in [agency.legal_name, *agency.trade_names]:
            norm_other = normalise_name(other)
            for norm, _original in wanted:
                if not norm or not norm_other:
                    continue
                score = similarity(norm, norm_other)
                if score >= threshold and score > found.get(agency.pk, (None, "", 0.0))[2]:
                    found[agency.pk] = (agency, other, score)
    return sorted(found.values(), key=lambda item: -item[2])
