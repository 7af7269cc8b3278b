"""Staff pages for recertification: cycles, activities, review and evidence (in the register_staff
namespace, included by staff_urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
