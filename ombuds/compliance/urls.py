"""The compliance pages: an agency's own (its returns, what is due, its findings) under /me/, and
the council's (coverage, findings to review) under /staff/. Included at the root: full paths."""

from django.urls import path

from ombuds.compliance import agency_views

app_name = "compliance"

urlpatterns = [
    path("me/agency/<int:agency>/compliance/", agency_views.agency, name="agency"),
]
