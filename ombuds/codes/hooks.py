"""What the apps above codes do when a version is published, without codes importing them.

Codes sits below members in the layering, yet publishing a version concerns members: an
attestation campaign asking people to attest to the version just superseded must close (see
`ombuds.members.attestations.campaigns.campaigns_supersede`). An app registers a listener in its
`AppConfig.ready`; `code_version_publish` calls every listener inside its own transaction, so the
publication and whatever the listeners change (with their audit events) commit together or not at
all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ombuds.codes.models import CodeVersion


class PublishListener(Protocol):
    def __call__(self, *, version: CodeVersion, acting_user: Any = None) -> None: ...


_listeners: list[Callable[..., None]] = []


def version_published_register(listener: PublishListener) -> None:
    """Call ``listener(version=, acting_user=)`` inside every publication's transaction (once,
    however often it is registered)."""
    if listener not in _listeners:
        _listeners.append(listener)


def version_published(*, version: CodeVersion, acting_user: Any = None) -> None:
    """Tell every listener that ``version`` was just published (inside the publication's
    transaction: a listener that raises undoes the publication)."""
    for listener in list(_listeners):
        listener(version=version, acting_user=acting_user)
