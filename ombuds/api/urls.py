from typing import Any

from csp.decorators import csp_update
from django.views.decorators.http import require_GET
from ninja import Redoc, Swagger

from ombuds.api.auth import ScopedAPI
from ombuds.api.case_deliveries import router as case_deliveries_router
from ombuds.api.case_parties import router as case_parties_router
from ombuds.api.cases import router as cases_router
from ombuds.api.cases import staff_router as cases_staff_router
from ombuds.api.certification import router as certification_router
from ombuds.api.codes import router as codes_router
from ombuds.api.compliance import router as compliance_router
from ombuds.api.compliance_staff import router as compliance_staff_router
from ombuds.api.disclosures import router as disclosures_router
from ombuds.api.invoices import router as invoices_router
from ombuds.api.members import router as members_router
from ombuds.api.members_recert import router as members_recert_router
from ombuds.api.pages import PAGE_HEADERS
from ombuds.api.problems import ProblemAPI
from ombuds.api.register import router as register_router
from ombuds.api.register_lifecycle import router as register_lifecycle_router
from ombuds.api.register_staff import router as register_staff_router


class OwnRedoc(Redoc):
    """ReDoc with its start-up in a static file rather than an inline script (templates/api/)."""

    template = "api/redoc.html"


class OmbudsAPI(ProblemAPI, ScopedAPI):
    """Every error an RFC 9457 problem, documented on each operation (problems); each operation's
    schema says the token scope it needs (auth); every list says where its next page is (pages)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                names = {parameter["name"] for parameter in operation.get("parameters", [])}
                if "cursor" in names:
                    answer = operation["responses"][200]
                    answer.setdefault("headers", {}).update(PAGE_HEADERS)
        return schema


# The reference pages load only our own static files (django-ninja ships Swagger UI and ReDoc, and
# "ninja" is in INSTALLED_APPS so that its templates use them): never a CDN. Swagger UI's validator
# badge would fetch an image from another site; it is off.
api = OmbudsAPI(
    title="Ombuds API",
    version="1",
    description="Codes of conduct as citable data, the register, complaints and cases, and "
    "agencies' compliance returns and findings. The same reference laid out by ReDoc: "
    "/api/v1/redoc.",
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
)
_redoc = OwnRedoc()


# ReDoc lays itself out with generated <style> elements (styled-components) and runs its search in
# a worker made from a blob: URL, so its page alone allows inline styles and blob: workers; scripts
# still come only from our own origin, and nothing from another.
@require_GET
@csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})
def redoc(request):
    """The API reference laid out by ReDoc (/api/v1/redoc)."""
    return _redoc.render_page(request, api)


api.add_router("/", codes_router)
api.add_router("/", register_router)
api.add_router("/", register_staff_router)
api.add_router("/", register_lifecycle_router)
api.add_router("/", cases_router)
api.add_router("/", cases_staff_router)
api.add_router("/", case_deliveries_router)
api.add_router("/", members_router)
api.add_router("/", members_recert_router)
api.add_router("/", case_parties_router)
api.add_router("/", compliance_router)
api.add_router("/", compliance_staff_router)
api.add_router("/", certification_router)
api.add_router("/", disclosures_router)
api.add_router("/", invoices_router)
