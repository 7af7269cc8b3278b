"""Attestation pages, included at the root: staff pages under /staff/<body>/attestations/, the
member's own under /me/attest/, an agency administrator's under /me/agency/."""

from django.urls import path

from ombuds.members import attest_views as views

app_name = "attest"

urlpatterns = [
    path("staff/<slug:org>/attestations/", views.campaigns, name="campaigns"),
    path("staff/<slug:org>/attestations/new", views.campaign_new, name="new"),
    path("staff/<slug:org>/attestations/<int:pk>/", views.campaign_detail, name="campaign"),
    path(
        "staff/<slug:org>/attestations/<int:pk>/coverage.csv",
        views.coverage_csv,
        name="coverage_csv",
    ),
    path(
        "staff/<slug:org>/attestations/<int:pk>/proxy/<int:person>",
        views.proxy,
        name="proxy",
    ),
    path("staff/<slug:org>/attestations/<int:pk>/close", views.close, name="close"),
    path("me/attest/<int:campaign>/", views.attest_page, name="attest"),
    path("me/agency/<int:agency>/people/", views.agency_people, name="agency_people"),
    path(
        "me/agency/<int:agency>/people/<int:person>/invite",
        views.agency_invite,
        name="agency_invite",
    ),
    path("me/agency/<int:agency>/people/coverage.csv", views.agency_csv, name="agency_csv"),
]
