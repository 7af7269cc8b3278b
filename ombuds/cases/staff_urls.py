from django.urls import path

from ombuds.cases import staff_views as views
from ombuds.cases import template_views

app_name = "cases_staff"

urlpatterns = [
    path("<slug:org>/cases/", views.inbox, name="inbox"),
    path("<slug:org>/cases/new", views.staff_complaint, name="new"),
    # The wording of the body's notices; before the case pages, or "notices" would read as a case.
    path("<slug:org>/cases/notices/", template_views.notice_templates, name="notice_templates"),
    path(
        "<slug:org>/cases/notices/<str:name>",
        template_views.notice_template_edit,
        name="notice_template",
    ),
    path("<slug:org>/cases/<str:reference>/", views.case_detail, name="case"),
    path(
        "<slug:org>/cases/<str:reference>/documents/<str:token>",
        views.case_document,
        name="document",
    ),
    path("<slug:org>/cases/<str:reference>/notices/<int:pk>", views.case_notice, name="notice"),
]
