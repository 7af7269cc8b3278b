"""A body's settings for its code: the citation prefix members know, and the parsing profile that
each import of a new version reuses."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.codes import parser
from ombuds.codes.citing import forget_prefix
from ombuds.codes.exceptions import CodeError
from ombuds.codes.models import DEFAULT_CODE_SLUG, Code

PREFIX_MAX = 30
_PREFIX = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$")
PROFILE_MAX = 20_000


class ProfileRefused(CodeError):
    """A parsing profile that does not read; ``messages`` says every problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("parsing profile: " + "; ".join(self.messages))


def body_code(organization: Organization) -> Code | None:
    """The body's code, if it has imported one or set its code's settings."""
    return Code.objects.filter(organization=organization, slug=DEFAULT_CODE_SLUG).first()


def check_prefix(prefix: str) -> str:
    """The prefix tidied ("" means the body's short name); raises CodeError if unusable."""
    prefix = " ".join((prefix or "").split())
    if len(prefix) > PREFIX_MAX:
        raise CodeError(f"the citation prefix is at most {PREFIX_MAX} characters")
    if prefix and not _PREFIX.match(prefix):
        raise CodeError("the citation prefix cannot hold control characters")
    return prefix


def read_profile(text: str | None) -> parser.Profile | None:
    """A body's profile from its TOML (None when empty); raises CodeError with every problem."""
    if not (text or "").strip():
        return None
    if len(text or "") > PROFILE_MAX:
        raise ProfileRefused([f"at most {PROFILE_MAX:,} characters"])
    try:
        return parser.load_profile(text or "")
    except parser.ProfileError as exc:
        raise ProfileRefused(exc.messages) from exc


def stored_profile(organization: Organization) -> parser.Profile | None:
    """The profile the body stored (None without one). A stored profile was checked when saved."""
    code = body_code(organization)
    return read_profile(code.parsing_profile) if code is not None else None


def _code_for_update(organization: Organization) -> Code:
    code, _ = Code.objects.select_for_update().get_or_create(
        organization=organization,
        slug=DEFAULT_CODE_SLUG,
        defaults={"title": "Code of Conduct"},
    )
    return code


@transaction.atomic
def code_settings_update(
    *,
    organization: Organization,
    citation_prefix: str,
    parsing_profile: str,
    revision: int | None,
    acting_user: Any = None,
) -> Code:
    """Set how members cite the body's code and the profile its imports use.

    Refused, with nothing changed: a prefix that is too long or holds control characters, a profile
    that does not read (every problem said), and a change made from a page that is out of date
    (``revision`` is not the code's ``settings_revision``; None skips the check, for the CLI).
    A profile's own ``citation_prefix`` is the prefix when the form leaves the prefix empty.
    """
    prefix = check_prefix(citation_prefix)
    profile = read_profile(parsing_profile)
    if not prefix and profile is not None and profile.citation_prefix:
        prefix = check_prefix(profile.citation_prefix)
    text = (parsing_profile or "").strip()
    code = _code_for_update(organization)
    if revision is not None and revision != code.settings_revision:
        raise CodeError(
            "someone changed these settings since you opened the page: reload it and try again"
        )
    forget_prefix(organization)
    return _store(code, prefix, text + "\n" if text else "", acting_user)


def _store(code: Code, prefix: str, profile_text: str, acting_user: Any) -> Code:
    changed = {
        name: {"from": getattr(code, name), "to": value}
        for name, value in (("citation_prefix", prefix), ("parsing_profile", profile_text))
        if getattr(code, name) != value
    }
    if not changed:
        return code
    code.citation_prefix = prefix
    code.parsing_profile = profile_text
    code.settings_revision += 1
    code.save(update_fields=["citation_prefix", "parsing_profile", "settings_revision"])
    audit.record(
        action="code.settings_changed",
        subject_type="code",
        subject_id=code.pk,
        organization=code.organization,
        actor=acting_user,
        data={"changed": changed, "revision": code.settings_revision},
    )
    forget_prefix(code.organization)
    return code


def store_import_profile(
    *, organization: Organization, profile_text: str, acting_user: Any = None
) -> Code:
    """Keep the profile an import was made with, for the next import (in the import's transaction).

    Its ``citation_prefix``, if it gives one, becomes the code's prefix."""
    profile = read_profile(profile_text)
    code = _code_for_update(organization)
    prefix = code.citation_prefix
    if profile is not None and profile.citation_prefix:
        prefix = check_prefix(profile.citation_prefix)
    text = (profile_text or "").strip()
    forget_prefix(organization)
    return _store(code, prefix, text + "\n" if text else "", acting_user)


def keep_file_prefix(
    *, code: Code, prefix: str, acting_user: Any = None
) -> tuple[Code, str | None]:
    """Keep the prefix an imported file gives (in the import's transaction, ``code`` locked).

    It becomes the code's when the body has chosen none (nothing changes when it is the body's short
    name, the prefix until it chooses); a prefix the body chose is kept, and the returned note says
    the file's differs."""
    prefix = check_prefix(prefix)
    chosen = code.citation_prefix
    if not prefix or prefix == (chosen or code.organization.short_name):
        return code, None
    if chosen:
        return code, (
            f"the file cites its provisions as “{prefix} 1.1”; the code keeps the "
            f"prefix the body chose, “{chosen}” (change it in the code's settings)"
        )
    return _store(code, prefix, code.parsing_profile, acting_user), None


def prefix_after_import(
    organization: Organization, profile: parser.Profile | None, file_prefix: str | None
) -> str:
    """The prefix the body's provisions will have once a file is imported with ``profile``: the
    profile's, else the one the body chose, else the file's, else the body's short name."""
    if profile is not None and profile.citation_prefix:
        return check_prefix(profile.citation_prefix)
    code = body_code(organization)
    chosen = code.citation_prefix if code is not None else ""
    return chosen or file_prefix or organization.short_name
