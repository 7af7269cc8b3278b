"""The candidate's pages (/me/applications/) and the body's public certification pages (namespace
"certification")."""

from django.urls import path

from ombuds.certification import incident_views, views

app_name = "certification"

urlpatterns = [
    path("me/applications/", views.mine, name="mine"),
    path("me/applications/<int:pk>/", views.application, name="application"),
    path("me/applications/<int:pk>/submit", views.submit, name="submit"),
    path("me/applications/<int:pk>/withdraw", views.withdraw, name="withdraw"),
    path("me/applications/<int:pk>/book", views.book, name="book"),
    path("me/applications/<int:pk>/documents/<str:token>", views.document, name="document"),
    path(
        "me/applications/<int:pk>/documents/<str:token>/remove",
        views.document_remove,
        name="document_remove",
    ),
    path("<slug:org>/certification/", views.programmes, name="programmes"),
    path("<slug:org>/certification/report", incident_views.report, name="report"),
    path("<slug:org>/certification/<slug:program>/apply", views.apply, name="apply"),
]
