"""The first tier: a member agency's public complaint form, the client's personal link, and the
agency's own inbox (`ombuds.members.first_tier_views`). Included at the root: full paths."""

from django.urls import path

from ombuds.members import first_tier_views as views

app_name = "first_tier"

urlpatterns = [
    path("<slug:org>/agencies/<int:agency>/complain/", views.complain, name="complain"),
    path(
        "<slug:org>/agencies/<int:agency>/complain/filed/<str:reference>",
        views.filed,
        name="filed",
    ),
    path("<slug:org>/client-complaints/<str:token>/", views.client_complaint, name="client"),
    path("me/agency/<int:agency>/complaints/", views.inbox, name="inbox"),
    path("me/agency/<int:agency>/complaints/<int:pk>/", views.complaint, name="complaint"),
]
