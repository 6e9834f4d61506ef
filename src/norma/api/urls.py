"""The REST API at /api/v1/: each app's endpoints assembled under one schema."""

from ninja import NinjaAPI

from norma.api import errors
from norma.api.auth import BearerToken
from norma.api.parser import StrictJSONParser
from norma.api.registers import build_router
from norma.core.registers import registry

api = NinjaAPI(
    title="Norma API",
    version="1",
    description="ISO 9001 quality management. Writes to existing records need If-Match.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=StrictJSONParser(),
)
errors.install(api)


def _mount():
    from norma.standards.api import router as standards_router

    api.add_router("/", standards_router)
    for register in registry:
        api.add_router(f"/{register.app_label()}/{register.slug()}/", build_router(register))


_mount()
