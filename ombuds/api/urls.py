from ninja import NinjaAPI

from ombuds.api.cases import router as cases_router
from ombuds.api.cases import staff_router as cases_staff_router
from ombuds.api.codes import router as codes_router
from ombuds.api.members import router as members_router
from ombuds.api.register import router as register_router
from ombuds.api.register_lifecycle import router as register_lifecycle_router
from ombuds.api.register_staff import router as register_staff_router

api = NinjaAPI(
    title="Ombuds API",
    version="1",
    description="Codes of conduct as citable data, the register, and complaints and cases.",
    urls_namespace="api",
)
api.add_router("/", codes_router)
api.add_router("/", register_router)
api.add_router("/", register_staff_router)
api.add_router("/", register_lifecycle_router)
api.add_router("/", cases_router)
api.add_router("/", cases_staff_router)
api.add_router("/", members_router)
