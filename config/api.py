"""The REST API under /api/v1/, with its OpenAPI schema at /api/v1/docs."""

from ninja import NinjaAPI

from balie.customers.api import router as customers_router
from balie.messaging.api import router as messaging_router
from balie.sla.api import router as sla_router
from balie.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Balie API",
    version="1",
    description="Tickets, berichten en klanten van Balie. Authenticatie: `Authorization: Bearer <token>`.",
    docs_url="/docs",
    urls_namespace="api",
)
api.add_router("/tickets", tickets_router, tags=["tickets"])
api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/", messaging_router, tags=["inbound"])
api.add_router("/", sla_router, tags=["sla"])
