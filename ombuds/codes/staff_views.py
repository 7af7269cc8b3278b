"""Staff pages for a body's codes: correct a draft, publish (importing is in staff_import_views).
Body administrators and staff."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.codes import selectors, services
from ombuds.codes.exceptions import CodeError
from ombuds.codes.forms import ProvisionForm, SplitForm
from ombuds.codes.models import CodeVersion, Provision

# Body administrators and staff edit the body's codes.
code_editor_required = body_staff_required


def _version(organization, pk: int) -> CodeVersion:
    return get_object_or_404(
        CodeVersion.objects.select_related("code"), pk=pk, code__organization=organization
    )


def _provision(version: CodeVersion, pk: int) -> Provision:
    return get_object_or_404(Provision.objects.select_related("version"), pk=pk, version=version)


@code_editor_required
def version_edit(request: HttpRequest, organization, pk: int) -> HttpResponse:
    version = _version(organization, pk)
    return render(
        request,
        "codes/staff/version_edit.html",
        {"body": organization, "version": version, "tree": selectors.provision_tree(version)},
    )


def _run(request, organization, version, action, success: str) -> HttpResponse:
    try:
        action()
    except CodeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("codes_staff:version", org=organization.slug, pk=version.pk)


@require_POST
@code_editor_required
def version_publish(request: HttpRequest, organization, pk: int) -> HttpResponse:
    version = _version(organization, pk)
    return _run(
        request,
        organization,
        version,
        lambda: services.code_version_publish(version=version, acting_user=request.user),
        f"Published version {version.label}. It can no longer be changed.",
    )


@require_POST
@code_editor_required
def version_delete(request: HttpRequest, organization, pk: int) -> HttpResponse:
    version = _version(organization, pk)
    try:
        services.code_version_delete_draft(version=version, acting_user=request.user)
    except CodeError as exc:
        messages.error(request, str(exc))
        return redirect("codes_staff:version", org=organization.slug, pk=version.pk)
    messages.success(request, f"Deleted draft {version.label}.")
    return redirect("codes_staff:versions", org=organization.slug)


@code_editor_required
def provision_edit(request: HttpRequest, organization, pk: int, ppk: int) -> HttpResponse:
    version = _version(organization, pk)
    provision = _provision(version, ppk)
    form = ProvisionForm(request.POST or None, instance=provision)
    split_form = SplitForm(provision=provision, prefix="split")
    if request.method == "POST" and not version.is_published and form.is_valid():
        data = form.cleaned_data
        try:
            services.provision_update(
                provision=provision,
                label=data["label"],
                citation=data["citation"],
                heading=data["heading"],
                text=data["text"],
                acting_user=request.user,
            )
        except CodeError as exc:
            form.add_error("citation", str(exc))
        else:
            messages.success(request, f"Saved {data['citation'] or data['heading']}.")
            return redirect("codes_staff:version", org=organization.slug, pk=version.pk)
    return render(
        request,
        "codes/staff/provision_edit.html",
        {
            "body": organization,
            "version": version,
            "provision": provision,
            "form": form,
            "split_form": split_form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@code_editor_required
def provision_split(request: HttpRequest, organization, pk: int, ppk: int) -> HttpResponse:
    version = _version(organization, pk)
    provision = _provision(version, ppk)
    split_form = SplitForm(request.POST, provision=provision, prefix="split")
    if split_form.is_valid():
        data = split_form.cleaned_data
        try:
            services.provision_split(
                provision=provision,
                at=data["at"],
                citation=data["citation"],
                label=data["label"],
                acting_user=request.user,
            )
        except CodeError as exc:
            split_form.add_error(None, str(exc))
        else:
            messages.success(request, f"Split {provision.citation}.")
            return redirect("codes_staff:version", org=organization.slug, pk=version.pk)
    return render(
        request,
        "codes/staff/provision_edit.html",
        {
            "body": organization,
            "version": version,
            "provision": provision,
            "form": ProvisionForm(instance=provision),
            "split_form": split_form,
        },
        status=400,
    )


@require_POST
@code_editor_required
def provision_move(request: HttpRequest, organization, pk: int, ppk: int) -> HttpResponse:
    version = _version(organization, pk)
    provision = _provision(version, ppk)
    direction = request.POST.get("direction", "")
    return _run(
        request,
        organization,
        version,
        lambda: services.provision_move(
            provision=provision, direction=direction, acting_user=request.user
        ),
        f"Moved {provision} {direction}.",
    )


@require_POST
@code_editor_required
def provision_merge(request: HttpRequest, organization, pk: int, ppk: int) -> HttpResponse:
    version = _version(organization, pk)
    provision = _provision(version, ppk)
    return _run(
        request,
        organization,
        version,
        lambda: services.provision_merge_next(provision=provision, acting_user=request.user),
        f"Merged the next provision into {provision}.",
    )
