"""The staff's invoice pages, under /staff/<body>/register/invoices/."""

from django.urls import path

from ombuds.register import invoice_views as views

urlpatterns = [
    path("<slug:org>/register/invoices/", views.invoice_list, name="invoices"),
    path("<slug:org>/register/invoices.csv", views.invoice_export, name="invoices_csv"),
    path("<slug:org>/register/invoices/new", views.invoice_new, name="invoice_new"),
    path("<slug:org>/register/invoices/import", views.invoice_import, name="invoices_import"),
    path("<slug:org>/register/invoices/<str:number>/", views.invoice_detail, name="invoice"),
]
