"""Staff pages for recertification: cycles, activities, review and evidence (in the register_staff
namespace, included by staff_urls)."""

from django.urls import URLPattern, path

from ombuds.register import recert_queue_views as queue
from ombuds.register import recert_views as views

urlpatterns: list[URLPattern] = [
    path("<slug:org>/register/recertification/", queue.recertification, name="recertification"),
    path(
        "<slug:org>/register/recertification/draws/new",
        queue.audit_draw_new,
        name="audit_draw_new",
    ),
    path(
        "<slug:org>/register/recertification/draws/<int:pk>/",
        queue.audit_draw_detail,
        name="audit_draw",
    ),
    path(
        "<slug:org>/register/credentials/<int:pk>/cycles/open",
        views.cycle_open,
        name="cycle_open",
    ),
    path("<slug:org>/register/cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path(
        "<slug:org>/register/cycles/<int:pk>/activities/new",
        views.activity_record,
        name="activity_new",
    ),
    path("<slug:org>/register/cycles/<int:pk>/close", views.cycle_close, name="cycle_close"),
    path(
        "<slug:org>/register/activities/<int:pk>/review",
        views.activity_review,
        name="activity_review",
    ),
    path(
        "<slug:org>/register/activities/<int:pk>/evidence",
        views.activity_evidence,
        name="activity_evidence",
    ),
]
