from django.urls import path

from ombuds.cases import staff_views as views
from ombuds.cases import template_views
from ombuds.cases.staff_views import deliveries, fine
from ombuds.cases.staff_views.parties import case_respondent

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
    # One address per action of the case page (each posts; the page's forms use them).
    path(
        "<slug:org>/cases/<str:reference>/steps/<str:step>",
        views.case_step,
        name="case_step",
    ),
    path(
        "<slug:org>/cases/<str:reference>/determination",
        views.case_determination,
        name="case_determination",
    ),
    path(
        "<slug:org>/cases/<str:reference>/allegations/add",
        views.case_allegation,
        name="case_allegation",
    ),
    path("<slug:org>/cases/<str:reference>/sanction", views.case_sanction, name="case_sanction"),
    path(
        "<slug:org>/cases/<str:reference>/sanction/fine-paid",
        fine.case_fine_paid,
        name="case_fine_paid",
    ),
    path("<slug:org>/cases/<str:reference>/messages/add", views.case_message, name="case_message"),
    path(
        "<slug:org>/cases/<str:reference>/documents/add",
        views.case_document_add,
        name="case_document_add",
    ),
    path("<slug:org>/cases/<str:reference>/recusals/add", views.case_recusal, name="case_recusal"),
    path("<slug:org>/cases/<str:reference>/take", views.case_take, name="case_take"),
    path("<slug:org>/cases/<str:reference>/resend", views.case_resend, name="case_resend"),
    path("<slug:org>/cases/<str:reference>/erase", views.case_erase, name="case_erase"),
    path(
        "<slug:org>/cases/<str:reference>/documents/<str:token>",
        views.case_document,
        name="document",
    ),
    path("<slug:org>/cases/<str:reference>/notices/<int:pk>", views.case_notice, name="notice"),
    path(
        "<slug:org>/cases/<str:reference>/respondent/",
        case_respondent,
        name="case_respondent",
    ),
    path(
        "<slug:org>/cases/<str:reference>/notices/<int:pk>/print",
        deliveries.case_notice_print,
        name="notice_print",
    ),
    path(
        "<slug:org>/cases/<str:reference>/notices/<int:pk>/delivery",
        deliveries.case_notice_delivery,
        name="notice_delivery",
    ),
]
