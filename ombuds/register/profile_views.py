"""A body's public profile: its home page (the profile with the code in force, how to complain, its
board), its members directory and its FAQ."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ombuds.bodies.access import body_or_404
from ombuds.codes.selectors import current_version
from ombuds.register.selectors import member_directory, seats


def home(request: HttpRequest, org: str) -> HttpResponse:
    """The body's public home: its profile, the code in force, how to complain, its board."""
    organization = body_or_404(org)
    return render(
        request,
        "codes/body_home.html",
        {
            "body": organization,
            "version": current_version(organization),
            "seats": seats(organization),
        },
    )


def members(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    return render(
        request,
        "register/members.html",
        {"body": organization, "members": member_directory(organization)},
    )


def faq(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    return render(request, "register/faq.html", {"body": organization})
