from django.urls import path

from ombuds.operations import views

app_name = "operations"

urlpatterns = [
    path("staff/daily/", views.daily_runs, name="daily"),
    path("metrics", views.metrics_view, name="metrics"),
]
