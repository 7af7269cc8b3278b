from django.urls import path

from ombuds.members import review_views, views

app_name = "members"

urlpatterns = [
    path("staff/<slug:org>/disclosures/", views.disclosures, name="disclosures"),
    path("staff/<slug:org>/disclosures/<int:pk>/edit", views.disclosure_edit, name="edit"),
    # The body's holders' disclosures, as the staff review them (CESP 3.8).
    path(
        "staff/<slug:org>/disclosures/holders/",
        review_views.holder_disclosures,
        name="holder_disclosures",
    ),
    path(
        "staff/<slug:org>/disclosures/holders.csv",
        review_views.holder_disclosures_csv,
        name="holder_disclosures_csv",
    ),
    path(
        "staff/<slug:org>/disclosures/holders/<int:pk>/",
        review_views.holder_disclosure,
        name="holder_disclosure",
    ),
]
