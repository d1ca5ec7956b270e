"""The REST API under /api/v1/, with its OpenAPI schema at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Balie API",
    version="1",
    description="Tickets, berichten en klanten van Balie. Authenticatie: `Authorization: Bearer <token>`.",
    docs_url="/docs",
    urls_namespace="api",
)
