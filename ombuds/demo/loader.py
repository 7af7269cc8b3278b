"""The demonstration data: both seed bodies with their codes published. Running it twice changes nothing.

The codes are the official ESPCC and CSEC texts where they are available (`--codes DIR`, or the
`seeds/` folder of OMBUDS_SHARED_DIR, by default `shared/` beside the project); otherwise Ombuds'
own demonstration wording of them (ombuds/demo/codes/), numbered alike, so that the demo's cases,
sanctions and campaign cite the same provisions in either (ombuds/demo/citations.py)."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import BodyProcedure
from ombuds.codes import code_settings
from ombuds.codes import services as code_services
from ombuds.codes.citing import citation_prefix
from ombuds.codes.exceptions import CodeError
from ombuds.codes.models import CodeVersion
from ombuds.demo import (
    billing_data,
    cases_data,
    certification_data,
    compliance_data,
    members_data,
    recert_data,
    register_data,
)
from ombuds.demo.citations import DemoError
from ombuds.register.services import organization_ensure

# Ombuds' demonstration wording of both codes, in the project's own words.
DEMO_CODES_DIR = Path(__file__).resolve().parent / "codes"


@dataclass(frozen=True)
class SeedBody:
    slug: str
    name: str
    acronym: str
    seed: str  # the code's file name, the same in the shared seeds folder and in DEMO_CODES_DIR
    version: str
    # How members cite the code, when not by the body's acronym: ESPCC's code is the CESP code.
    citation_prefix: str = ""


SEED_BODIES = (
    SeedBody(
        "espcc",
        "Employment Support Professional Certification Council",
        "ESPCC",
        "espcc-cesp-code-of-conduct.txt",
        "v1",
        citation_prefix="CESP",
    ),
    SeedBody(
        "csec",
        "Child Support Enforcement Council",
        "CSEC",
        "csec-code-of-ethical-conduct.txt",
        "v1",
    ),
)

ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class CodeTexts:
    """Where the demo reads its two codes from."""

    folder: Path
    official: bool

    def describe(self) -> str:
        if self.official:
            return f"codes: official texts from {self.folder}"
        return (
            "codes: Ombuds' demonstration wording "
            "(set OMBUDS_SHARED_DIR or --codes DIR for the official texts)"
        )


def _holds_both(folder: Path) -> bool:
    return all((folder / body.seed).is_file() for body in SEED_BODIES)


def code_texts(codes: str | Path | None = None) -> CodeTexts:
    """The folder given (`--codes DIR`: it, or its seeds/ folder, must hold both codes), else the
    shared folder's seeds/ when it holds both, else the demonstration wording."""
    if codes is not None:
        given = Path(codes).expanduser()
        for folder in (given, given / "seeds"):
            if _holds_both(folder):
                folder = folder.resolve()
                return CodeTexts(folder, official=folder != DEMO_CODES_DIR)
        names = " and ".join(body.seed for body in SEED_BODIES)
        raise DemoError(f"--codes {given}: {names} are not there (nor in its seeds/ folder)")
    shared = Path(settings.SHARED_DIR) / "seeds"
    if _holds_both(shared):
        return CodeTexts(shared, official=True)
    return CodeTexts(DEMO_CODES_DIR, official=False)


def _admin_password_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-admin-password"


@transaction.atomic
def load_demo(codes: str | Path | None = None) -> tuple[str, str | None, list[str]]:
    """Load the demo bodies and codes (from `codes`, see `code_texts`), their registers, cases,
    members and CSEC's compliance returns; return the administrator's login (the password is None
    when an "admin" account made some other way was left alone) and a line for each thing done,
    the first saying which codes."""
    texts = code_texts(codes)
    done = [texts.describe()] + [_load_code(body, texts.folder) for body in SEED_BODIES]
    espcc, csec = Organization.objects.get(slug="espcc"), Organization.objects.get(slug="csec")
    done += _load_register(espcc, csec)
    username, password = _ensure_admin()
    done += _load_cases(espcc, csec, password)
    done += _load_members(espcc, csec, username, password)
    done += compliance_data.load_compliance(csec, password)
    done.append(recert_data.load_recertification(espcc, username))
    done += certification_data.load_espcc(espcc, password)
    done += _load_billing(espcc, csec)
    return username, password, done


def _load_code(body: SeedBody, folder: Path) -> str:
    """The body itself and its seed code, published."""
    organization = organization_ensure(slug=body.slug, name=body.name, acronym=body.acronym)
    data = (folder / body.seed).read_bytes()
    loaded = CodeVersion.objects.filter(code__organization=organization, label=body.version).first()
    if body.citation_prefix and citation_prefix(organization) != body.citation_prefix:
        code = code_settings.body_code(organization)
        code_settings.code_settings_update(
            organization=organization,
            citation_prefix=body.citation_prefix,
            parsing_profile=code.parsing_profile if code else "",
            revision=None,
        )
    if loaded is not None and loaded.source_sha256 != hashlib.sha256(data).hexdigest():
        # Loaded earlier from the other texts (or an older copy): the demo's records cite it, so it
        # stays; the same citations hold in either.
        return (
            f"{body.acronym}: {loaded.title} {loaded.label} already loaded and kept "
            f"(not the text in {folder}; an empty database loads that one)"
        )
    try:
        parsed = code_services.read_code_file(data, filename=body.seed)
        version, created = code_services.code_version_import(
            organization=organization,
            parsed=parsed,
            source=data,
            source_name=body.seed,
            label=body.version,
            publish=True,
        )
    except CodeError as exc:
        raise DemoError(f"{body.seed}: {exc}") from exc
    state = "loaded" if created else "already loaded"
    return f"{body.acronym}: {version.title} {version.label} {state}"


def _load_register(espcc: Organization, csec: Organization) -> list[str]:
    done = [register_data.load_espcc(espcc), register_data.load_csec(csec)]
    register_data.load_profile(espcc)
    register_data.load_profile(csec)
    done.append(register_data.load_sanctions(espcc))
    done.append(register_data.load_sanctions(csec))
    return done


def _load_cases(espcc: Organization, csec: Organization, password: str | None) -> list[str]:
    for organization, key in ((espcc, "espcc-ethics"), (csec, "csec-article-5")):
        BodyProcedure.objects.get_or_create(
            organization=organization, defaults={"procedure_key": key}
        )
    workers = []
    for organization in (espcc, csec):
        workers += cases_data.load_people(organization, password)
    return [
        cases_data.load_espcc(espcc),
        cases_data.load_csec(csec),
        f"Case workers (same password as the administrator): {', '.join(workers)}",
    ]


def _load_members(
    espcc: Organization, csec: Organization, username: str, password: str | None
) -> list[str]:
    members = members_data.load_accounts(csec, espcc, password)
    done = [members_data.load_campaign(csec), members_data.load_client_complaints(csec)]
    if members:
        done.append(
            "Member logins (same password as the administrator; no second factor asked): "
            + ", ".join(members)
        )
    factors = members_data.load_second_factors(members_data.staff_usernames())
    done.append(
        "Second factor for the administrator and case workers: add this key to an authenticator "
        f"app (TOTP, 6 digits, 30 s): {factors.totp_key}"
    )
    codes = factors.recovery.get(username, [])
    if codes:
        done.append(
            f"  or use one of the administrator's recovery codes (each works once): {' '.join(codes[:5])}"
        )
    return done


def _load_billing(espcc: Organization, csec: Organization) -> list[str]:
    """Invoices in every state and reviewed disclosures (after the members' accounts)."""
    return [
        billing_data.load_espcc(espcc),
        billing_data.load_csec(csec),
        billing_data.load_disclosures(espcc),
    ]


def _ensure_admin() -> tuple[str, str | None]:
    """The demo administrator. Its password is kept in the data directory so that a second run prints
    the same login without changing anything; an "admin" account made some other way is left alone
    (the password returned is then None)."""
    User = get_user_model()
    password_file = _admin_password_file()
    user = User.objects.filter(username=ADMIN_USERNAME).first()
    password: str | None = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(ADMIN_USERNAME, "admin@example.org", password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(password)
    elif password_file.is_file():
        stored = password_file.read_text(encoding="utf-8").strip()
        password = stored if user.check_password(stored) else None
    for organization in Organization.objects.filter(slug__in=[b.slug for b in SEED_BODIES]):
        BodyRole.objects.get_or_create(
            user=user, organization=organization, role=BodyRole.Role.ADMINISTRATOR
        )
    return ADMIN_USERNAME, password
