from django.urls import path

from ombuds.register import profile_views as views

app_name = "profile"

urlpatterns = [
    path("", views.home, name="home"),
    path("members/", views.members, name="members"),
    path("faq/", views.faq, name="faq"),
]
