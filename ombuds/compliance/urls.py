"""The compliance pages: an agency's own (its returns, what is due, its findings) under /me/, and
the council's (coverage, findings to review) under /staff/. Included at the root: full paths."""

from django.urls import path

from ombuds.compliance import agency_views, filing_views, staff_views

app_name = "compliance"

AGENCY = "me/agency/<int:agency>/compliance/"
STAFF = "staff/<slug:org>/compliance/"

urlpatterns = [
    path(AGENCY, agency_views.agency, name="agency"),
    path(f"{AGENCY}file/<str:return_key>/", filing_views.file_return, name="file"),
    path(f"{AGENCY}returns/<int:pk>/", agency_views.return_detail, name="return"),
    path(f"{AGENCY}findings/<int:pk>/", agency_views.finding_detail, name="finding"),
    path(STAFF, staff_views.coverage, name="coverage"),
    path(f"{STAFF}findings/", staff_views.finding_list, name="staff_findings"),
    path(f"{STAFF}findings/<int:pk>/", staff_views.finding_detail, name="staff_finding"),
    path(f"{STAFF}findings/<int:pk>/close", staff_views.finding_close, name="staff_finding_close"),
    path(f"{STAFF}findings/<int:pk>/case", staff_views.finding_refer, name="staff_finding_refer"),
    path(f"{STAFF}returns/<int:pk>/", staff_views.return_detail, name="staff_return"),
]
