"""Public pages of a body's code: no login, nothing confidential."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.vary import vary_on_headers

from ombuds.bodies.access import body_or_404
from ombuds.codes import selectors
from ombuds.codes.models import CodeVersion


def _require_current(organization) -> CodeVersion:
    version = selectors.current_version(organization)
    if version is None:
        raise Http404(f"{organization.short_name} has not published a code yet")
    return version


def _render_version(request, organization, version, current) -> HttpResponse:
    return render(
        request,
        "codes/version_detail.html",
        {
            "body": organization,
            "version": version,
            "tree": selectors.provision_tree(version),
            "current": current,
            "standing": selectors.version_standing(version, current),
        },
    )


def code_current(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    current = _require_current(organization)
    return _render_version(request, organization, current, current)


def version_detail(request: HttpRequest, org: str, label: str) -> HttpResponse:
    organization = body_or_404(org)
    version = _version_or_404(organization, label)
    return _render_version(request, organization, version, selectors.current_version(organization))


def version_list(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    versions = list(
        selectors.all_versions(organization).filter(status=CodeVersion.Status.PUBLISHED)
    )
    current = selectors.current_version(organization)
    return render(
        request,
        "codes/version_list.html",
        {
            "body": organization,
            "versions": versions,
            "rows": [
                (v, versions[i + 1] if i + 1 < len(versions) else None)
                for i, v in enumerate(versions)
            ],
            "current": current,
        },
    )


def _provision_page(request, organization, version, current, anchor: str) -> HttpResponse:
    standing = selectors.version_standing(version, current)
    provision = selectors.provision_by_anchor(version, anchor)
    if provision is None:
        raise Http404(f"No provision {anchor!r}")
    if anchor != provision.anchor:
        # A citation typed as written ("Rule 1") goes to its canonical permalink ("Rule-1").
        if standing == "current":
            return redirect("codes:provision", org=organization.slug, anchor=provision.anchor)
        return redirect(
            "codes:version_provision",
            org=organization.slug,
            label=version.label,
            anchor=provision.anchor,
        )
    return render(
        request,
        "codes/provision_detail.html",
        {
            "body": organization,
            "version": version,
            "current": current,
            "standing": standing,
            "provision": provision,
            "ancestors": selectors.provision_ancestors(provision),
            "children": list(provision.children.order_by("position")),
        },
    )


def provision_current(request: HttpRequest, org: str, anchor: str) -> HttpResponse:
    organization = body_or_404(org)
    current = _require_current(organization)
    return _provision_page(request, organization, current, current, anchor)


def provision_in_version(request: HttpRequest, org: str, label: str, anchor: str) -> HttpResponse:
    organization = body_or_404(org)
    version = _version_or_404(organization, label)
    current = selectors.current_version(organization)
    return _provision_page(request, organization, version, current, anchor)


def version_diff(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    versions = list(selectors.published_versions(organization))
    old_label, new_label = request.GET.get("from", ""), request.GET.get("to", "")
    if not old_label and not new_label and len(versions) >= 2:
        old_label, new_label = versions[1].label, versions[0].label
    context = {
        "body": organization,
        "versions": versions,
        "old_label": old_label,
        "new_label": new_label,
        "errors": [],
    }
    by_label = {v.label: v for v in versions}
    if old_label or new_label:
        for name, label in (("from", old_label), ("to", new_label)):
            if label not in by_label:
                context["errors"].append(f"Choose a published version to compare {name}.")
        if not context["errors"]:
            context["old"], context["new"] = by_label[old_label], by_label[new_label]
            context["diff"] = selectors.versions_diff(context["old"], context["new"])
    status = 400 if context["errors"] else 200
    return render(request, "codes/version_diff.html", context, status=status)


@vary_on_headers("HX-Request")
def code_search(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    query = request.GET.get("q", "").strip()[:200]
    hits = selectors.provision_search(organization, query) if query else []
    context = {"body": organization, "query": query, "hits": hits}
    # htmx asks for the results alone, except when restoring a page from history.
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request, "codes/_search_results.html" if partial else "codes/search.html", context
    )


def _version_or_404(organization, label: str):
    version = selectors.version_get(organization, label)
    if version is None:
        raise Http404(f"No version {label!r}")
    return version
