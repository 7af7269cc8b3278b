"""Email as a body sends it: a text part and an HTML part made from the same words, the body's name
on the From line, replies going to the body's contact address, and on reminders a way to stop them.

Every email Ombuds sends on a body's behalf goes through `body_message`; what a recipient may stop
(reminders, never a case's notices) names its `Stoppable` kind, so the message carries
`List-Unsubscribe` (RFC 2369) with one-click unsubscription (RFC 8058), and `reminder_stopped`
tells the sender not to send.
"""

from __future__ import annotations

import re
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from .models import MailOptOut, Organization

_SALT = "ombuds.bodies.mail.unsubscribe"
_URL = re.compile(r"https?://[^\s<>\"“”]+[^\s<>\"“”.,;:!?)\]]")


class Stoppable(models.TextChoices):
    """The emails a recipient may stop: reminders of what is due, never notices of their case."""

    ATTESTATION = "attestation-reminders", "reminders to attest to the code"
    COMPLIANCE = "compliance-reminders", "reminders of compliance returns due"
    RECERTIFICATION = "recertification-reminders", "reminders that recertification is due"


def unsubscribe_token(organization: Organization, email: str, kind: Stoppable) -> str:
    """A signed token naming who stops which reminders of which body; it never expires (a
    reminder kept for a year must still stop them) and cannot be made for another address."""
    return signing.dumps([organization.pk, email.strip().lower(), str(kind)], salt=_SALT)


def unsubscribe_read(token: str) -> tuple[Organization, str, Stoppable] | None:
    """What a token names, or None when it was not made here or was altered."""
    try:
        pk, email, kind = signing.loads(token, salt=_SALT)
        return Organization.objects.get(pk=pk), email, Stoppable(kind)
    except (signing.BadSignature, ValueError, TypeError, Organization.DoesNotExist):
        return None


def unsubscribe_url(organization: Organization, email: str, kind: Stoppable) -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse(
        "unsubscribe", kwargs={"token": unsubscribe_token(organization, email, kind)}
    )


def reminder_stop(organization: Organization, email: str, kind: Stoppable) -> bool:
    """Stop these reminders to this address; True if they were not stopped already. Kept as one
    row per address, kind and body: nothing else about the recipient."""
    try:
        with transaction.atomic():
            MailOptOut.objects.create(
                organization=organization, email=email.strip().lower(), kind=str(kind)
            )
    except IntegrityError:
        return False
    return True


def reminder_stopped(organization: Organization, email: str, kind: Stoppable) -> bool:
    return MailOptOut.objects.filter(
        organization=organization, email=email.strip().lower(), kind=str(kind)
    ).exists()


def stopped_addresses(organization: Organization, kind: Stoppable) -> set[str]:
    """The addresses that stopped this kind of reminder from this body (one query, for a run)."""
    return set(
        MailOptOut.objects.filter(organization=organization, kind=str(kind)).values_list(
            "email", flat=True
        )
    )


def html_of(text: str) -> str:
    """The text's paragraphs as HTML: escaped, its addresses made links, its lines kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        html = escape(paragraph)
        html = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html)
        out.append("<p>" + html.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def body_message(
    organization: Organization | None,
    subject: str,
    text: str,
    to: list[str],
    *,
    stoppable: Stoppable | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """One email from the body (the site's own address, the body's name), its text and HTML parts
    from the same words, replies to the body's contact address. A stoppable reminder to one
    recipient says how to stop it, in the message and in its headers."""
    headers = dict(headers or {})
    footer = ""
    if stoppable is not None and organization is not None and len(to) == 1:
        url = unsubscribe_url(organization, to[0], stoppable)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        footer = f"To stop {stoppable.label} from {organization.short_name}: {url}"
    from_email = settings.DEFAULT_FROM_EMAIL
    reply_to: list[str] = []
    if organization is not None:
        from_email = formataddr((organization.name, settings.DEFAULT_FROM_EMAIL))
        if organization.contact_email:
            reply_to = [organization.contact_email]
    body = text.rstrip() + ("\n\n-- \n" + footer + "\n" if footer else "\n")
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email,
        to=to,
        reply_to=reply_to,
        headers=headers,
    )
    html = render_to_string(
        "email/message.html",
        {
            "organization": organization,
            "subject": subject,
            "content": html_of(text),
            "footer": html_of(footer) if footer else "",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def body_mail(
    organization: Organization | None,
    subject: str,
    text: str,
    to: list[str],
    *,
    stoppable: Stoppable | None = None,
) -> int:
    """Send `body_message` to each recipient on its own (no one sees another's address); a
    transport error is raised to the caller, which knows whether to retry."""
    sent = 0
    for address in to:
        if not address:
            continue
        if (
            stoppable is not None
            and organization is not None
            and reminder_stopped(organization, address, stoppable)
        ):
            continue
        sent += body_message(organization, subject, text, [address], stoppable=stoppable).send()
    return sent
