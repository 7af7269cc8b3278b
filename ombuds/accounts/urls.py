"""The account pages, under /accounts/. They come before django.contrib.auth's URLs there, so the
sign-in, password change and password reset pages below (same paths and names) take their place."""

from django.urls import path

from ombuds.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("invitation/<str:token>/", views.accept, name="accept"),
    path("invite/<slug:org>/<int:person>/", views.invite, name="invite"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("security/", views.security, name="security"),
    path("sessions/end/", views.sessions_end, name="sessions_end"),
]
