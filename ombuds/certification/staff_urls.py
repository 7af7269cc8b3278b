"""The body's staff pages for certification (namespace "certification_staff", under /staff/)."""

from django.urls import path

from ombuds.certification import incident_views, staff_views

app_name = "certification_staff"

P = "<slug:org>/certification/"

urlpatterns = [
    path(P, staff_views.applications, name="applications"),
    path(f"{P}applications/<int:pk>/", staff_views.application, name="application"),
    path(f"{P}applications/<int:pk>/review", staff_views.review, name="review"),
    path(f"{P}applications/<int:pk>/suspend", staff_views.suspend, name="suspend"),
    path(f"{P}applications/<int:pk>/restore", staff_views.restore, name="restore"),
    path(f"{P}applications/<int:pk>/documents/<str:token>", staff_views.document, name="document"),
    path(f"{P}windows/", staff_views.windows, name="windows"),
    path(f"{P}windows/<int:pk>/", staff_views.window, name="window"),
    path(f"{P}windows/<int:pk>/result", staff_views.result, name="result"),
    path(f"{P}windows/<int:pk>/import", staff_views.results_import, name="import"),
    path(f"{P}incidents/", incident_views.incidents, name="incidents"),
    path(f"{P}incidents/<int:pk>/", incident_views.incident, name="incident"),
    path(f"{P}incidents/<int:pk>/sanction", incident_views.sanction, name="sanction"),
]
