"""The API's bearer tokens (`ombuds.register.tokens`): who may call which endpoint.

Every staff endpoint declares the one scope it needs with `auth=`: `REGISTER_READ`,
`REGISTER_WRITE`, `CASES_READ`, `CASES_WRITE`, `COMPLIANCE_READ`, `COMPLIANCE_WRITE`,
`DISCLOSURES_READ`, `DISCLOSURES_WRITE`, `INVOICES_READ`, `INVOICES_WRITE` or `PAYMENTS_WRITE` (what
each implies: `ombuds.register.tokens.IMPLIES`); the members' endpoints `MEMBER`. A refused token
gets an RFC 9457 problem (`ombuds.api.problems`): 401 without a usable token (none, unknown, wrong secret: the same
answer; revoked or expired: it says which), 403 naming the scope the token lacks.

The OpenAPI schema documents the bearer schemes and, per operation, the scope needed: in the
operation's `security` requirement (`{"StaffToken": ["cases:read"]}`), as `x-token-scope`, and in
a line of its description (`ScopedAPI`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from ombuds.register.models import ApiToken
from ombuds.register.tokens import TokenRefused, token_authenticate


class _Token(HttpBearer):
    scope: str

    def __init__(self, scope: str) -> None:
        self.scope = str(scope)
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        try:
            row = token_authenticate(token, scope=self.scope)
        except TokenRefused as exc:
            raise HttpError(exc.status, exc.detail) from None
        request.api_token = row
        return row


class StaffToken(_Token):
    """A staff token of the body in the path, with the scope the endpoint declares."""

    openapi_description = (
        "A staff token for one body (`omb_...`, made on the body's staff token page or with "
        "`ombuds apitoken create`), sent as `Authorization: Bearer <token>`. Each operation says "
        "the scope it needs: register:read, register:write, cases:read, cases:write, "
        "compliance:read, compliance:write, disclosures:read, disclosures:write, invoices:read, "
        "invoices:write or payments:write (a write scope implies the read scope of the same "
        "area; payments:write, a payment system's, implies invoices:read, and invoices:write "
        "implies payments:write). 401 without a usable token (revoked and expired tokens are "
        "told so), 403 when the token lacks the scope."
    )


class MemberToken(_Token):
    """A member's own token (scope `member`)."""

    openapi_description = (
        "A member's own token (made on /me/tokens/), sent as `Authorization: Bearer <token>`: "
        "reads and writes its owner's own records only. 401 without a usable member token."
    )


REGISTER_READ = StaffToken(ApiToken.StaffScope.REGISTER_READ)
REGISTER_WRITE = StaffToken(ApiToken.StaffScope.REGISTER_WRITE)
CASES_READ = StaffToken(ApiToken.StaffScope.CASES_READ)
CASES_WRITE = StaffToken(ApiToken.StaffScope.CASES_WRITE)
COMPLIANCE_READ = StaffToken(ApiToken.StaffScope.COMPLIANCE_READ)
COMPLIANCE_WRITE = StaffToken(ApiToken.StaffScope.COMPLIANCE_WRITE)
DISCLOSURES_READ = StaffToken(ApiToken.StaffScope.DISCLOSURES_READ)
DISCLOSURES_WRITE = StaffToken(ApiToken.StaffScope.DISCLOSURES_WRITE)
INVOICES_READ = StaffToken(ApiToken.StaffScope.INVOICES_READ)
INVOICES_WRITE = StaffToken(ApiToken.StaffScope.INVOICES_WRITE)
PAYMENTS_WRITE = StaffToken(ApiToken.StaffScope.PAYMENTS_WRITE)
MEMBER = MemberToken(ApiToken.Scope.MEMBER)


def required_scope(operation: Any) -> str | None:
    """The scope an operation's token needs, or None for an endpoint open to anyone."""
    for auth in operation.auth_callbacks or []:
        if isinstance(auth, _Token):
            return auth.scope
    return None


class _ScopedSchema(OpenAPISchema):
    def operation_security(self, operation: Any) -> list[dict[str, Any]] | None:
        security = super().operation_security(operation)
        scope = required_scope(operation)
        if security and scope in ApiToken.StaffScope.values:
            # OpenAPI 3.1 lets a bearer scheme's requirement list the roles it needs. (A member
            # token has the one scope, so the members' endpoints list none.)
            security = [{name: [scope] for name in requirement} for requirement in security]
        return security

    def operation_details(self, operation: Any) -> dict[str, Any]:
        result = super().operation_details(operation)
        scope = required_scope(operation)
        if scope:
            result["x-token-scope"] = scope
            line = f"**Token scope:** `{scope}`."
            result["description"] = (
                f"{result['description']}\n\n{line}" if result.get("description") else line
            )
        return result


class ScopedAPI(NinjaAPI):
    """The API whose schema says, per operation, the token scope it needs."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _ScopedSchema(self, path_prefix)
