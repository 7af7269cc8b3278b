"""The member's own pages, under /me/ (namespace "me")."""

from django.urls import path

from ombuds.members import home_views, recert_views, views

app_name = "me"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("tokens/", home_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke", home_views.token_revoke_view, name="token_revoke"),
    path("cases/<str:reference>/", home_views.case, name="case"),
    path(
        "cases/<str:reference>/documents/<str:doc>",
        home_views.case_document,
        name="case_document",
    ),
    path("<slug:org>/disclosures/", views.my_disclosures, name="disclosures"),
    path("<slug:org>/recertification/", recert_views.my_cycles, name="recert"),
    path("<slug:org>/recertification/<int:pk>/", recert_views.my_cycle, name="recert_cycle"),
    path(
        "<slug:org>/recertification/<int:pk>/activities/new",
        recert_views.my_activity_new,
        name="recert_activity_new",
    ),
    path(
        "<slug:org>/recertification/<int:pk>/submit",
        recert_views.my_cycle_submit,
        name="recert_submit",
    ),
    path(
        "<slug:org>/recertification/activities/<int:pk>/evidence",
        recert_views.my_evidence,
        name="recert_evidence",
    ),
    path(
        "<slug:org>/recertification/activities/<int:pk>/evidence/add",
        recert_views.my_evidence_add,
        name="recert_evidence_add",
    ),
    path("<slug:org>/disclosures/<int:pk>/edit", views.my_disclosure_edit, name="disclosure_edit"),
]
