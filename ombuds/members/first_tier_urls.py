from django.urls import path  # noqa: F401

app_name = "first_tier"

urlpatterns: list = []
