"""Public case pages: the complaint form, the complainant's page (a named complainant's link, the
anonymous follow-up), and the respondent's link."""

from django.urls import path

from ombuds.cases import transparency_views, views

app_name = "cases"

urlpatterns = [
    path("respond/<str:token>/", views.respondent_case, name="respondent"),
    path(
        "respond/<str:token>/documents/<str:doc>",
        views.respondent_document,
        name="respondent_document",
    ),
    path("<slug:org>/complain/", views.complaint_form, name="complain"),
    path("<slug:org>/complain/filed/<str:reference>", views.complaint_filed, name="filed"),
    path("<slug:org>/complain/follow-up/", views.followup, name="followup"),
    path("<slug:org>/complain/yours/<str:token>/", views.complainant_case, name="complainant"),
    path("<slug:org>/complain/new-link/", views.complainant_new_link, name="complainant_new_link"),
    path("<slug:org>/decisions/", transparency_views.decisions_index, name="decisions"),
    path("<slug:org>/decisions/<str:reference>", views.decision, name="decision"),
    path("<slug:org>/statistics/", transparency_views.statistics_page, name="statistics"),
    path("<slug:org>/statistics.csv", transparency_views.statistics_csv, name="statistics_csv"),
]
