"""A credential's verification page, its title and content written in Python rather than by the
template engine: the register's busiest page, whose thirty-odd variables cost the engine about a
fifth of the request. The HTML is that of the template it replaced, byte for byte
(tests/register/test_record_page.py renders both, the template kept beside the test as
``templates/credential_as_template.html``). The layout around it is still ``base.html``
(``register/credential.html`` extends it and writes these two strings in); a record's public
sanctions, when it has any, are still written by ``register/_sanctions.html``, whose "none
published" branch is also written here (the test renders both, so they cannot drift apart).

The page's words are English, as the template's were (it never loaded i18n): to translate them,
wrap them in ``gettext`` here, and change the reference template with them."""

from __future__ import annotations

from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from ombuds.bodies.models import Organization
from ombuds.core.templatetags.ombuds_chrome import body_url
from ombuds.register.public_verify import VerifiedCredential
from ombuds.register.search_rows import esc

# The dates as `views._shown_dates` gives them: {"iso": …, "text": …} or None, by name.
Dates = dict[str, "dict[str, str] | None"]


def credential_title(body: Organization, credential: VerifiedCredential) -> str:
    """The page's title, unescaped (the layout escapes it)."""
    return f"{credential.number} · {credential.holder} · {body.short_name} register"


def _time(date: dict[str, str] | None) -> str:
    return f'<time datetime="{esc(date["iso"])}">{esc(date["text"])}</time>' if date else ""


def _sanctions(body: Organization, credential: VerifiedCredential) -> str:
    if credential.sanctions:
        return get_template("register/_sanctions.html").render(
            {"body": body, "sanctions": credential.sanctions, "what": "credential"}
        )
    return (
        '\n<section aria-labelledby="sanctions-title">\n'
        '  <h2 id="sanctions-title">Public sanctions</h2>\n  \n'
        f"  <p>{esc(body.short_name)} has published no sanction against this credential.</p>\n"
        "  \n</section>\n"
    )


def credential_content(
    body: Organization,
    credential: VerifiedCredential,
    dates: Dates,
    verification_url: str,
    certificate_url: str,
) -> SafeString:
    """The page's content block, every value escaped as the template escaped it."""
    c = credential
    short_name = esc(body.short_name)
    number = esc(c.number)
    holder = esc(c.holder)
    tone = esc(c.tone)
    status = esc(c.status_display)
    abbreviation = f" ({esc(c.credential_abbreviation)})" if c.credential_abbreviation else ""
    until = ""
    if c.status == "suspended" and c.suspended_until:
        until = f" until {esc(dates['suspended_until']['text'])}"
    standing = c.standing
    headline = esc(standing.headline) if standing else ""
    upcoming = (
        "".join(f" <strong>{esc(u)}.</strong>" for u in standing.upcoming) if standing else ""
    )
    place = f"<dt>Place</dt><dd>{esc(c.holder_place)}</dd>" if c.holder_place else ""
    issued = _time(dates["issued_on"]) if c.issued_on else "Not issued"
    expires = _time(dates["expires_on"]) if c.expires_on else "—"
    suspended = ""
    if c.suspended_until:
        suspended = f"<dt>Suspended until</dt><dd>{_time(dates['suspended_until'])}</dd>"
    conditions = linebreaksbr(c.conditions, autoescape=True) if c.conditions else "None"
    url = esc(verification_url)
    return mark_safe(
        '\n<nav aria-label="Breadcrumb" class="breadcrumb">\n  <ol>\n'
        f'    <li><a href="{esc(body_url("register:search", body))}">{short_name} register</a></li>\n'
        f'    <li aria-current="page">{number}</li>\n  </ol>\n</nav>\n'
        f"<h1>{holder} <small>{esc(c.credential)}{abbreviation}</small></h1>\n"
        f'<p class="register-standing register-standing-{tone}"><strong>{status}{until}{headline}.'
        f"</strong> {esc(c.meaning)}{upcoming}</p>\n"
        '<dl class="facts">\n'
        f"  <dt>Holder</dt><dd>{holder}</dd>\n"
        f"  {place}\n"
        f'  <dt>Body</dt><dd><a href="{esc(body_url("profile:home", body))}">{esc(c.body)}</a></dd>\n'
        f"  <dt>Credential</dt><dd>{esc(c.credential)}</dd>\n"
        f'  <dt>Number</dt><dd><span class="number">{number}</span></dd>\n'
        f'  <dt>Status</dt><dd><span class="register-status register-status-{tone}">{status}</span>\n'
        "</dd>\n"
        f"  <dt>Issued</dt><dd>{issued}</dd>\n"
        f"  <dt>Expires</dt><dd>{expires}</dd>\n"
        f"  {suspended}\n"
        f"  <dt>Conditions</dt><dd>{conditions}</dd>\n"
        f'  <dt>Verification URL</dt><dd><a href="{url}">{url}</a></dd>\n'
        "</dl>\n"
        f"{_sanctions(body, c)}\n"
        f'<p class="register-links"><a href="{esc(certificate_url)}">Printable certificate with a '
        "QR code</a></p>\n"
        f'<p class="meta">As the {short_name} register stands on {esc(dates["today"]["text"])}.</p>\n'
    )
