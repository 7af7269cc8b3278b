"""Public pages of a body's code: no login, nothing confidential."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.codes import selectors
from ombuds.codes.models import CodeVersion
from ombuds.register.selectors import organization_get


def _require_current(organization) -> CodeVersion:
    version = selectors.current_version(organization)
    if version is None:
        raise Http404(f"{organization.short_name} has not published a code yet")
    return version


def body_home(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    return render(
        request,
        "codes/body_home.html",
        {"body": organization, "version": selectors.current_version(organization)},
    )


def _render_version(request, organization, version, *, is_current: bool) -> HttpResponse:
    return render(
        request,
        "codes/version_detail.html",
        {
            "body": organization,
            "version": version,
            "tree": selectors.provision_tree(version),
            "is_current": is_current,
            "current": version if is_current else selectors.current_version(organization),
        },
    )


def code_current(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    return _render_version(request, organization, _require_current(organization), is_current=True)


def version_detail(request: HttpRequest, org: str, label: str) -> HttpResponse:
    organization = organization_get(org)
    version = selectors.version_get(organization, label)
    current = selectors.current_version(organization)
    return _render_version(
        request, organization, version, is_current=current is not None and current.pk == version.pk
    )


def version_list(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
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


def _provision_page(request, organization, version, anchor: str, *, is_current: bool):
    provision = selectors.provision_by_anchor(version, anchor)
    if anchor != provision.anchor:
        # A citation typed as written ("Rule 1") goes to its canonical permalink ("Rule-1").
        name = "codes:provision" if is_current else "codes:version_provision"
        kwargs = {"org": organization.slug, "anchor": provision.anchor}
        if not is_current:
            kwargs["label"] = version.label
        return redirect(name, **kwargs)
    children = list(provision.children.order_by("position"))
    return render(
        request,
        "codes/provision_detail.html",
        {
            "body": organization,
            "version": version,
            "provision": provision,
            "ancestors": selectors.provision_ancestors(provision),
            "children": children,
            "is_current": is_current,
        },
    )


def provision_current(request: HttpRequest, org: str, anchor: str) -> HttpResponse:
    organization = organization_get(org)
    version = _require_current(organization)
    return _provision_page(request, organization, version, anchor, is_current=True)


def provision_in_version(request: HttpRequest, org: str, label: str, anchor: str) -> HttpResponse:
    organization = organization_get(org)
    version = selectors.version_get(organization, label)
    current = selectors.current_version(organization)
    is_current = current is not None and current.pk == version.pk
    return _provision_page(request, organization, version, anchor, is_current=is_current)


def version_diff(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
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


def code_search(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    query = request.GET.get("q", "").strip()[:200]
    hits = selectors.provision_search(organization, query) if query else []
    context = {"body": organization, "query": query, "hits": hits}
    template = "codes/_search_results.html" if request.htmx else "codes/search.html"
    return render(request, template, context)
