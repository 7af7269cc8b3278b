"""Members' sign-in: invitations from the register, and the sessions an account has open.

Passwords are argon2 (settings.PASSWORD_HASHERS); the second factor is django-otp's TOTP device with
static recovery codes, required of anyone with a role on a body (`ombuds.accounts.middleware`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """An invitation for a register record (a person) to open their account. The link carries a
    secret of which only the SHA-256 is kept; it expires, and it works once."""

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="invitations"
    )
    person = models.ForeignKey(
        "register.Person", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation for {self.person} ({self.email})"


class AccountSession(models.Model):
    """One signed-in session of an account, so its owner can see where they are signed in and sign
    out everywhere. The session itself lives in Django's session store under ``session_key``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.user_agent[:40]} · {self.last_seen_at:%Y-%m-%d %H:%M}"


class InvitationRun(models.Model):
    """One "invite everyone not yet invited" of a body, from the staff page (in the background) or
    the command line (at once): each person is invited in their own transaction, and the run keeps
    its counts as it goes, so the page shows its progress. One run at a time per body."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped by an error"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="invitation_runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The people to invite when the run began; then how many were invited, were skipped (invited
    # or given an account meanwhile) and refused, and how many of the total it has been through.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    # The first refusals as "name (ombuds:N): reason"; refused_count says how many there were.
    refused = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(state__in=["queued", "running"]),
                name="invitation_run_one_active_per_body",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation run {self.pk} of {self.organization} ({self.get_state_display()})"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
