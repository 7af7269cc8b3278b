"""django-otp's device apps under names an administrator reads ("Second factor: authenticator
apps" rather than "OTP_TOTP"), installed in their place in settings."""

from django_otp.plugins.otp_static.apps import DefaultConfig as _Static
from django_otp.plugins.otp_totp.apps import DefaultConfig as _Totp


class RecoveryCodesConfig(_Static):
    verbose_name = "Second factor: recovery codes"


class AuthenticatorAppsConfig(_Totp):
    verbose_name = "Second factor: authenticator apps"
