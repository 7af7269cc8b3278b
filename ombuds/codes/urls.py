from django.urls import path

from ombuds.codes import views

app_name = "codes"

urlpatterns = [
    path("code/", views.code_current, name="current"),
    path("code/versions/", views.version_list, name="versions"),
    path("code/diff/", views.version_diff, name="diff"),
    path("code/search/", views.code_search, name="search"),
    path("code/v/<str:label>/", views.version_detail, name="version"),
    path("code/v/<str:label>/<str:anchor>", views.provision_in_version, name="version_provision"),
    path("code/<str:anchor>", views.provision_current, name="provision"),
]
