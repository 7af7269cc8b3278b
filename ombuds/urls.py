from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from ombuds import views as core_views
from ombuds.api.urls import api, redoc
from ombuds.bodies import views as body_views
from ombuds.staff_home import views as staff_home

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    path("language/<str:code>/", core_views.language, name="language"),
    path("mail/unsubscribe/<str:token>/", body_views.unsubscribe, name="unsubscribe"),
    path("search", core_views.search, name="search"),
    path("", include("ombuds.operations.urls")),
    path("accounts/", include("ombuds.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("ombuds.certification.urls")),
    path("me/", include("ombuds.members.home_urls")),
    # The admin signs in through Ombuds' own page: rate-limited, and then the second factor.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/redoc", redoc, name="api_redoc"),
    path("api/v1/", api.urls),
    path("signed-in", staff_home.after_sign_in, name="after_sign_in"),
    path("staff/", staff_home.home, name="staff_home"),
    path("staff/", include("ombuds.codes.staff_urls")),
    path("staff/", include("ombuds.register.staff_urls")),
    path("staff/", include("ombuds.cases.staff_urls")),
    path("staff/", include("ombuds.accounts.staff_urls")),
    path("staff/", include("ombuds.certification.staff_urls")),
    # The register's pages are the busiest (employers verifying credentials): resolved before the
    # site's other body pages that follow, which could share an address with them only for a body
    # slugged "register" (reserved) or a respondent's token "register" (tests/core/test_url_order.py).
    path("<slug:org>/register/", include("ombuds.register.urls")),
    path("", include("ombuds.credentials.urls")),
    path("", include("ombuds.cases.urls")),
    path("", include("ombuds.members.urls")),
    path("", include("ombuds.members.attest_urls")),
    path("", include("ombuds.members.first_tier_urls")),
    path("", include("ombuds.compliance.urls")),
    path("<slug:org>/", include("ombuds.register.profile_urls")),
    path("<slug:org>/", include("ombuds.codes.urls")),
]

# Our own pages for a missing address and for a failure (templates/404.html and 500.html).
handler404 = "ombuds.views.page_not_found"
handler500 = "ombuds.views.server_error"
