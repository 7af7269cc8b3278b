"""A body's public profile: its members directory and its FAQ (the home page lives in the codes app's
body_home, which shows the profile with the code in force)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ombuds.register.selectors import member_directory, organization_get


def members(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    return render(
        request,
        "register/members.html",
        {"body": organization, "members": member_directory(organization)},
    )


def faq(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    return render(request, "register/faq.html", {"body": organization})
