"""The public's transparency pages of a body: its published decisions and its complaint
statistics (with a CSV of them). Public, no sign-in; nothing on them identifies a complainant
(`ombuds.cases.transparency` says what is counted and what is hidden)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ombuds.bodies.access import body_or_404
from ombuds.cases import transparency
from ombuds.cases.charts import bar_chart_svg
from ombuds.core.http import csv_download

MAX_PROVISION = 40


def _year(request: HttpRequest, errors: list[str]) -> int | None:
    raw = request.GET.get("year", "").strip()
    if not raw:
        return None
    if raw.isdigit() and 1900 <= int(raw) <= 2999:
        return int(raw)
    errors.append("Enter the year as four digits, e.g. 2025, or choose “All years”.")
    return None


def decisions_index(request: HttpRequest, org: str) -> HttpResponse:
    """The body's published decisions, newest first, searchable by provision and year."""
    organization = body_or_404(org)
    errors: list[str] = []
    year = _year(request, errors)
    provision = request.GET.get("provision", "").strip()
    if len(provision) > MAX_PROVISION:
        errors.append(f"Write the provision's citation in {MAX_PROVISION} characters or fewer.")
        provision = ""
    decisions = transparency.published_decisions(organization, provision=provision, year=year)
    page = Paginator(decisions, transparency.DECISIONS_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("provision", provision), ("year", year or "")) if v})
    return render(
        request,
        "cases/transparency/decisions.html",
        {
            "body": organization,
            "decisions": decisions,
            "page": page,
            "query": query,
            "years": transparency.decision_years(organization),
            "year": year,
            "provision": provision,
            "errors": errors,
            "searched": bool(provision or year),
        },
        status=400 if errors else 200,
    )


def statistics_page(request: HttpRequest, org: str) -> HttpResponse:
    """The body's complaint statistics, de-identified, as charts with tables."""
    organization = body_or_404(org)
    errors: list[str] = []
    year = _year(request, errors)
    stats = transparency.cached_statistics(organization, year=year)
    return render(
        request,
        "cases/transparency/statistics.html",
        {
            "body": organization,
            "stats": stats,
            "errors": errors,
            "small": transparency.SMALL,
            "hidden_text": transparency.HIDDEN_TEXT,
            "ttl_minutes": transparency.STATISTICS_TTL // 60,
            "outcome_chart": bar_chart_svg(stats.by_outcome, hidden_upto=transparency.SMALL - 1),
            "provision_chart": bar_chart_svg(
                stats.by_provision, hidden_upto=transparency.SMALL - 1
            ),
        },
        status=400 if errors else 200,
    )


def statistics_csv(request: HttpRequest, org: str) -> HttpResponse:
    """The same statistics as CSV (hidden counts as "fewer than 5")."""
    organization = body_or_404(org)
    errors: list[str] = []
    year = _year(request, errors)
    if errors:
        return HttpResponse(errors[0], status=400, content_type="text/plain; charset=utf-8")
    stats = transparency.cached_statistics(organization, year=year)
    suffix = f"-{year}" if year else ""
    return csv_download(
        transparency.statistics_csv_rows(stats), f"{organization.slug}-complaints{suffix}.csv"
    )
