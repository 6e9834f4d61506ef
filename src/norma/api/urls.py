"""The REST API at /api/v1/: each app's endpoints assembled under one schema."""

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule
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
    # An app's own endpoints beyond its registers live in its api.py, under /<app>/.
    for config in apps.get_app_configs():
        own = config.name.startswith("norma.") and config.label != "standards"
        if own and module_has_submodule(config.module, "api"):
            module = import_module(f"{config.name}.api")
            api.add_router(f"/{config.label}/", module.router)


_mount()
