"""The compliance pages: an agency's own (its returns, what is due, its findings) under /me/, and
the council's (coverage, findings to review) under /staff/. Included at the root: full paths."""

from django.urls import path

from ombuds.compliance import agency_views, filing_views

app_name = "compliance"

AGENCY = "me/agency/<int:agency>/compliance/"

urlpatterns = [
    path(AGENCY, agency_views.agency, name="agency"),
    path(f"{AGENCY}file/<str:return_key>/", filing_views.file_return, name="file"),
    path(f"{AGENCY}returns/<int:pk>/", agency_views.return_detail, name="return"),
    path(f"{AGENCY}findings/<int:pk>/", agency_views.finding_detail, name="finding"),
]
