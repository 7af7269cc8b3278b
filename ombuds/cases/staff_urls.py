from django.urls import path

from ombuds.cases import staff_views as views

app_name = "cases_staff"

urlpatterns = [
    path("<slug:org>/cases/", views.inbox, name="inbox"),
    path("<slug:org>/cases/new", views.staff_complaint, name="new"),
    path("<slug:org>/cases/<str:reference>/", views.case_detail, name="case"),
    path(
        "<slug:org>/cases/<str:reference>/documents/<str:token>",
        views.case_document,
        name="document",
    ),
    path("<slug:org>/cases/<str:reference>/notices/<int:pk>", views.case_notice, name="notice"),
]
