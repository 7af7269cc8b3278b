"""The body's staff pages about members' accounts, under /staff/<org>/."""

from django.urls import path

from ombuds.accounts import staff_views

app_name = "accounts_staff"

urlpatterns = [
    path("<slug:org>/invitations/", staff_views.invitations, name="invitations"),
]
