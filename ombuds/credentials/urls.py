from django.urls import path

from ombuds.credentials import views

app_name = "credentials"

urlpatterns = [
    path("<slug:org>/did.json", views.did_document, name="did"),
    path("<slug:org>/credentials/jwks.json", views.jwks, name="jwks"),
    path("<slug:org>/credentials/status/<str:purpose>", views.status_list, name="status_list"),
    path("<slug:org>/credentials/verify", views.verify, name="verify"),
    path(
        "<slug:org>/credentials/<str:number>/certificate.pdf",
        views.certificate_pdf,
        name="certificate_pdf",
    ),
    path("me/credentials/<int:pk>/verifiable", views.holder_download, name="holder_download"),
    path("staff/<slug:org>/credentials/<str:number>/issue", views.staff_issue, name="staff_issue"),
]
