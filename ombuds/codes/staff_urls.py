from django.urls import path

from ombuds.codes import staff_import_views as imports
from ombuds.codes import staff_views as views

app_name = "codes_staff"

urlpatterns = [
    path("<slug:org>/codes/", imports.version_list, name="versions"),
    path("<slug:org>/codes/import", imports.import_confirm, name="import_confirm"),
    path("<slug:org>/codes/settings", imports.code_settings_edit, name="settings"),
    path("<slug:org>/codes/<int:pk>/", views.version_edit, name="version"),
    path("<slug:org>/codes/<int:pk>/publish", views.version_publish, name="publish"),
    path("<slug:org>/codes/<int:pk>/delete", views.version_delete, name="delete"),
    path("<slug:org>/codes/<int:pk>/p/<int:ppk>/", views.provision_edit, name="provision"),
    path("<slug:org>/codes/<int:pk>/p/<int:ppk>/split", views.provision_split, name="split"),
    path("<slug:org>/codes/<int:pk>/p/<int:ppk>/move", views.provision_move, name="move"),
    path("<slug:org>/codes/<int:pk>/p/<int:ppk>/merge", views.provision_merge, name="merge"),
]
