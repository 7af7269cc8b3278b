"""Every provision the demo data cites, in one place.

The demo loads either the official ESPCC and CSEC texts or Ombuds' demonstration wording of them
(ombuds/demo/codes/); both number their provisions alike, so the same citations hold in either.
tests/core/test_demo.py checks that each citation below exists in the demonstration wording (and in
the official texts where they are available), and the loader refuses to go on, naming the citation,
when one is missing from the code it loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.compliance.programme import load_file


class DemoError(Exception):
    """The demo cannot be loaded as asked; the message says why, in one line."""


# The submission key of each demo case -> the provisions its complaint cites.
CASES: dict[str, tuple[str, ...]] = {
    "csec-1": ("2.3",),  # posed as the state child support office
    "csec-2": ("1.2(d)",),  # payments held back
    "csec-3": ("1.3(c)",),  # no copy of the contract
    "csec-4": ("1.3(d)",),  # fees the contract does not list
    "csec-5": ("1.2(c)", "1.2(d)"),  # support payments kept in the agency's own account
    "csec-6": ("1.1(a)",),  # rude on the phone
    "espcc-1": ("3.6",),  # medical history shared with the employer
    "espcc-2": ("3.2",),  # billed sessions that never took place
    "espcc-3": ("3.5",),  # pressed to accept an unwanted job
    "espcc-4": ("3.2",),  # falsified hours on a placement report
}

# Body -> the status of a credential or membership -> (the provisions its sanction cites, summary).
SANCTIONS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "espcc": {
        "suspended": (("2.4",), "Suspended for failing to cooperate with an investigation."),
        "revoked": (("3.2", "3.7"), "Revoked after misrepresenting qualifications to clients."),
    },
    "csec": {
        "suspended": (
            ("1.2(c)",),
            "Suspended for failing to keep client trust accounts that cover what clients are owed.",
        ),
        "revoked": (
            ("2.2",),
            "Revoked after claiming enforcement powers the agency did not have.",
        ),
    },
}

# CSEC's attestation campaign: its members see that their employees and agents agree to the code.
ATTESTATION = "4.3"

# CSEC's compliance programme, which the demo installs: each rule cites a provision, and so does a
# return not filed in time (installing it refuses a citation the code lacks).
COMPLIANCE_PROGRAMME = (
    Path(__file__).resolve().parents[1] / "compliance" / "programmes" / "csec-compliance.toml"
)


def compliance_citations() -> set[str]:
    programme = load_file(COMPLIANCE_PROGRAMME)
    return {rule.provision for rule in programme.rules.values()} | {
        programme.overdue_provision(key) for key in programme.returns
    } - {""}


# ESPCC's CESP requirements (ombuds/certification/programmes/espcc-cesp.toml): the candidate's
# declarations cite 2.1 and 2.2, the candidate agreement on exam confidentiality 2.3.
CERTIFICATION = ("2.1", "2.2", "2.3")


def cited_by_body() -> dict[str, set[str]]:
    """Body slug -> every citation the demo data uses for it."""
    cited: dict[str, set[str]] = {
        "espcc": set(CERTIFICATION),
        "csec": {ATTESTATION, *compliance_citations()},
    }
    for key, citations in CASES.items():
        cited[key.split("-", 1)[0]].update(citations)
    for slug, plans in SANCTIONS.items():
        for citations, _summary in plans.values():
            cited[slug].update(citations)
    return cited


def provisions(organization: Organization, citations: Sequence[str]) -> list[Provision]:
    """The provisions of the body's code in force with these citations, in this order; a
    `DemoError` naming any that the code lacks."""
    version = current_version(organization)
    if version is None:
        raise DemoError(f"{organization.short_name} has no code in force for the demo to cite")
    found = {p.citation: p for p in version.provisions.filter(citation__in=citations)}
    missing = [c for c in citations if c not in found]
    if missing:
        raise DemoError(
            f"{organization.short_name} {version.label} ({version.source_name or version.title}) "
            f"has no provision {', '.join(missing)}, which the demo data cites"
        )
    return [found[c] for c in citations]
