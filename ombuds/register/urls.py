from django.urls import path

from ombuds.register import views

app_name = "register"

# The fixed paths come first: a credential numbered "bulk" would be shadowed, which no body uses.
urlpatterns = [
    path("", views.search, name="search"),
    path("bulk/", views.bulk, name="bulk"),
    path("members/<str:number>/", views.membership, name="membership"),
    path("<str:number>/", views.credential, name="credential"),
    path("<str:number>/certificate", views.certificate, name="certificate"),
]
