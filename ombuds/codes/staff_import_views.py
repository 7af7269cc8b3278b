"""Importing a new version of a body's code in two steps: upload and preview, then confirm.

The preview shows what the parser made of the file with the body's parsing profile: every citation
of the tree as members will write it, and every warning with its line number. Nothing is stored
until staff confirm. The uploaded bytes wait in the shared cache for an hour between the two steps,
under their SHA-256, for this user and body only.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.codes import code_settings, parser, selectors, services
from ombuds.codes.citing import citation_prefix
from ombuds.codes.exceptions import CodeError
from ombuds.codes.forms import CodeSettingsForm, ConfirmImportForm, ImportForm

STAGED_SECONDS = 3600


def _staged_key(organization, user, digest: str) -> str:
    return f"ombuds:codes:staged:{organization.pk}:{user.pk}:{digest}"


def _profile_digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def settings_form(organization, data=None) -> CodeSettingsForm:
    code = code_settings.body_code(organization)
    initial = {
        "citation_prefix": code.citation_prefix if code else "",
        "parsing_profile": code.parsing_profile if code else "",
        "revision": code.settings_revision if code else 0,
    }
    return CodeSettingsForm(data, initial=initial)


def list_page(request: HttpRequest, organization, *, form=None, settings_=None, status=200):
    """The staff codes page: versions, the import form, the code's settings."""
    if form is None:
        code = code_settings.body_code(organization)
        form = ImportForm(initial={"profile": code.parsing_profile if code else ""})
    return render(
        request,
        "codes/staff/version_list.html",
        {
            "body": organization,
            "versions": selectors.all_versions(organization),
            "form": form,
            "settings_form": settings_ or settings_form(organization),
        },
        status=status,
    )


def _preview(request: HttpRequest, organization, data: bytes, name: str, options: dict):
    """Parse the staged bytes with the profile in ``options`` and show the result and the
    confirm form (or the reason nothing could be read)."""
    profile_text = options.get("profile") or ""
    profile = code_settings.read_profile(profile_text)
    parsed = services.read_code_file(data, filename=name, profile=profile)
    digest = hashlib.sha256(data).hexdigest()
    cache.set(_staged_key(organization, request.user, digest), data, STAGED_SECONDS)
    confirm = ConfirmImportForm(
        initial={
            **options,
            "staged": digest,
            "source_name": name,
            "previewed": _profile_digest(profile_text),
        }
    )
    prefix = code_settings.prefix_after_import(organization, profile, parsed.citation_prefix)
    return render(
        request,
        "codes/staff/import_preview.html",
        {
            "body": organization,
            "parsed": parsed,
            "rows": _rows(parsed.provisions, prefix),
            "count": sum(1 for _ in parsed.walk()),
            "prefix": prefix,
            "source_name": name,
            "form": confirm,
        },
    )


def _rows(provisions: list[parser.Provision], prefix: str, depth: int = 0) -> list[dict]:
    """The tree as flat rows (citation as members write it, depth, words, modality)."""
    rows: list[dict] = []
    for p in provisions:
        rows.append(
            {
                "cite": f"{prefix} {p.citation}" if p.citation else "",
                "depth": min(depth, 6),
                "heading": p.heading or "",
                "text": p.text,
                "modality": p.modality or "",
            }
        )
        rows.extend(_rows(p.children, prefix, depth + 1))
    return rows


@body_staff_required
def version_list(request: HttpRequest, organization) -> HttpResponse:
    """GET: the page. POST: step 1, upload a file and see what the parser makes of it."""
    if request.method != "POST":
        return list_page(request, organization)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.OMBUDS_MAX_CODE_BYTES:
                raise CodeError(
                    f"too large: {upload.size:,} bytes, the limit is {settings.OMBUDS_MAX_CODE_BYTES:,}"
                )
            return _preview(request, organization, upload.read(), upload.name, form.cleaned_data)
        except CodeError as exc:
            form.add_error("file", str(exc))
    return list_page(request, organization, form=form, status=400)


@require_POST
@body_staff_required
def import_confirm(request: HttpRequest, organization) -> HttpResponse:
    """Step 2: import the previewed file, or preview it again with a changed profile."""
    form = ConfirmImportForm(request.POST)
    if not form.is_valid():
        if set(form.errors) & {"staged", "source_name", "previewed"}:
            messages.error(request, "This import was not understood: upload the file again.")
            return redirect("codes_staff:versions", org=organization.slug)
        return _preview_again(request, organization, form)
    options = form.cleaned_data
    data = cache.get(_staged_key(organization, request.user, options["staged"]))
    if data is None:
        messages.error(request, "The preview has expired: upload the file again.")
        return redirect("codes_staff:versions", org=organization.slug)
    name = options["source_name"]
    try:
        if request.POST.get("action") != "import" or options["previewed"] != _profile_digest(
            options["profile"]
        ):
            # Only what staff have seen is imported: a changed profile is shown first.
            return _preview(request, organization, data, name, options)
        profile = code_settings.read_profile(options["profile"])
        parsed = services.read_code_file(data, filename=name, profile=profile)
        version, created = services.code_version_import(
            organization=organization,
            parsed=parsed,
            source=data,
            source_name=name,
            label=options["label"],
            effective_date=options["effective_date"],
            publish=options["publish"],
            acting_user=request.user,
            profile_text=options["profile"],
        )
    except CodeError as exc:
        form.add_error(None, str(exc))
        return _preview_again(request, organization, form)
    cache.delete(_staged_key(organization, request.user, options["staged"]))
    if created:
        messages.success(request, f"Imported version {version.label}.")
    else:
        messages.info(request, f"This file was already imported as version {version.label}.")
    return redirect("codes_staff:version", org=organization.slug, pk=version.pk)


def _preview_again(request: HttpRequest, organization, form: ConfirmImportForm) -> HttpResponse:
    """The confirm form with its errors, over no preview (the options need correcting first)."""
    return render(
        request,
        "codes/staff/import_preview.html",
        {"body": organization, "parsed": None, "rows": [], "form": form},
        status=400,
    )


@require_POST
@body_staff_required
def code_settings_edit(request: HttpRequest, organization) -> HttpResponse:
    """Set the citation prefix and the parsing profile of the body's code."""
    form = settings_form(organization, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            code_settings.code_settings_update(
                organization=organization,
                citation_prefix=data["citation_prefix"],
                parsing_profile=data["parsing_profile"],
                revision=data["revision"],
                acting_user=request.user,
            )
        except CodeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Saved: provisions are cited as “{citation_prefix(organization)} 1.1”."
            )
            return redirect("codes_staff:versions", org=organization.slug)
    return list_page(request, organization, settings_=form, status=400)
