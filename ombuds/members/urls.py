from django.urls import path

from ombuds.members import views

app_name = "members"

urlpatterns = [
    path("staff/<slug:org>/disclosures/", views.disclosures, name="disclosures"),
    path("staff/<slug:org>/disclosures/<int:pk>/edit", views.disclosure_edit, name="edit"),
]
