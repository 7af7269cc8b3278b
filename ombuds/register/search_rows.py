"""The rows of the register search's results table, written in Python rather than by a template
loop: twenty rows of a dozen variables each were half of the page's template time. The HTML is
that of the loop it replaced, byte for byte (tests/register/test_search_rows.py renders both, the
loop kept beside it as a template)."""

from __future__ import annotations

import html

from django.utils import dateformat, formats
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext

from ombuds.bodies.models import Organization
from ombuds.register.addresses import record_paths
from ombuds.register.public_entries import RegisterEntry


def esc(value: object) -> str:
    """As `conditional_escape`, for the plain values of a row: Django's wraps each call in lazy
    checks and a SafeString, some 20% of the rows' cost."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


_ROW = (
    '\n    <tr>\n      <th scope="row" data-label="{holder_label}"><a href="{href}"><bdi>{holder}'
    "</bdi></a>{aka}{place}</th>\n"
    '      <td data-label="{entry_label}">{entry}</td>\n'
    '      <td data-label="{number_label}"><span class="number">{number}</span></td>\n'
    '      <td data-label="{status_label}"><span class="register-status register-status-{tone}">'
    "{status}</span>\n</td>\n"
    '      <td data-label="{expires_label}">{expires}</td>\n'
    "    </tr>\n  "
)


def search_rows_html(organization: Organization, results: list[RegisterEntry]) -> SafeString:
    """The table's rows: each entry's link (`record_paths`), holder, trade names, place, entry,
    number, status and date (as the `date` filter formats it), escaped as the template escaped
    them."""
    if not results:
        return mark_safe("")
    short_date = formats.get_format("SHORT_DATE_FORMAT")
    # The labels as `{% translate … %}` gave them: literal strings, so not escaped.
    labels = {
        "holder_label": gettext("Holder"),
        "entry_label": gettext("Credential or membership"),
        "number_label": gettext("Number"),
        "status_label": gettext("Status"),
    }
    expires_label, renewal_label = gettext("Expires"), gettext("Renewal due")
    trading_as = gettext("trading as")
    rows = []
    dates: dict = {}  # a date written once a page, as many rows share it
    paths: dict = {}  # each kind's address worked out once a page
    for r in results:
        path = paths.get(r.kind)
        if path is None:
            path = paths[r.kind] = record_paths(f"register:{r.kind}", organization)
        href = path(r.number)
        aka = ""
        if r.also_known_as:
            names = ", ".join(esc(name) for name in r.also_known_as)
            aka = f' <span class="aka">{trading_as} <bdi>{names}</bdi></span>'
        expires = "—"
        if r.expires_on:
            expires = dates.get(r.expires_on)
            if expires is None:
                text = esc(dateformat.format(r.expires_on, short_date))
                expires = dates[r.expires_on] = (
                    f'<time datetime="{r.expires_on.isoformat()}">{text}</time>'
                )
        rows.append(
            _ROW.format(
                **labels,
                href=esc(href),
                holder=esc(r.holder),
                aka=aka,
                place=f'<br><span class="place">{esc(r.place)}</span>' if r.place else "",
                entry=esc(r.entry),
                number=esc(r.number),
                tone=esc(r.tone),
                status=esc(r.status_display),
                expires_label=expires_label if r.kind == "credential" else renewal_label,
                expires=expires,
            )
        )
    return mark_safe("".join(rows))
