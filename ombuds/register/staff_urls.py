from django.urls import include, path

from ombuds.register import import_views, token_views
from ombuds.register import staff_views as views

app_name = "register_staff"

urlpatterns = [
    path("<slug:org>/register/", views.register_home, name="home"),
    path("<slug:org>/profile", views.profile_edit, name="profile"),
    path("<slug:org>/register/import", import_views.register_import, name="import"),
    path(
        "<slug:org>/register/import/<str:token>",
        import_views.import_job,
        name="import_job",
    ),
    path("<slug:org>/register/export/<str:kind>.csv", import_views.register_export, name="export"),
    path("<slug:org>/register/people/new", views.person_edit, name="person_new"),
    path("<slug:org>/register/people/<int:pk>/", views.person_detail, name="person"),
    path("<slug:org>/register/people/<int:pk>/edit", views.person_edit, name="person_edit"),
    path("<slug:org>/register/agencies/new", views.agency_edit, name="agency_new"),
    path("<slug:org>/register/agencies/<int:pk>/", views.agency_detail, name="agency"),
    path("<slug:org>/register/agencies/<int:pk>/edit", views.agency_edit, name="agency_edit"),
    path("<slug:org>/register/credentials/<int:pk>/", views.credential_detail, name="credential"),
    path(
        "<slug:org>/register/credentials/<int:pk>/sanction",
        views.credential_sanction,
        name="credential_sanction",
    ),
    path(
        "<slug:org>/register/credentials/<int:pk>/correct",
        views.credential_correct,
        name="credential_correct",
    ),
    path(
        "<slug:org>/register/people/<int:pk>/memberships/new",
        views.person_membership_new,
        name="person_membership_new",
    ),
    path(
        "<slug:org>/register/agencies/<int:pk>/memberships/new",
        views.agency_membership_new,
        name="agency_membership_new",
    ),
    path(
        "<slug:org>/register/agencies/<int:pk>/affiliations/new",
        views.affiliation_new,
        name="affiliation_new",
    ),
    path(
        "<slug:org>/register/affiliations/<int:pk>/edit",
        views.affiliation_edit,
        name="affiliation_edit",
    ),
    path("<slug:org>/register/memberships/<int:pk>/", views.membership_detail, name="membership"),
    path(
        "<slug:org>/register/memberships/<int:pk>/sanction",
        views.membership_sanction,
        name="membership_sanction",
    ),
    path("<slug:org>/api-tokens/", token_views.tokens, name="tokens"),
    path(
        "<slug:org>/api-tokens/<int:pk>/revoke",
        token_views.token_revoke_view,
        name="token_revoke",
    ),
    # Recertification cycles, activities and evidence.
    path("", include("ombuds.register.recert_urls")),
    # Invoices: fees and fines.
    path("", include("ombuds.register.invoice_urls")),
]
