"""The API documentation at ``/schema``: Swagger UI served by the product itself, with no CDN and no inline script.

Swagger UI 5.36.0 (Apache-2.0) is vendored in ``api/static/swagger/`` and started by ``docs.js``; the page
answers with its own Content-Security-Policy (``default-src 'self'``: only the product's files). The OpenAPI
document stays at ``/schema/openapi.json``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router

ASSETS = "/static/swagger"
# Swagger UI draws its icons as data: images; everything else is the product's own.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


class OfflineSwagger(OpenAPIRenderPlugin):
    """Renders ``/schema`` as a Swagger UI page whose scripts and styles are the product's own files."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The documentation page: Swagger UI pointed at the OpenAPI document."""
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        json_url = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" data-openapi-url="{json_url}"></main>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/docs.js"></script>
</body>
</html>
""".encode()


def docs_router() -> Router:
    """The router serving ``/schema`` (the page) and ``/schema/openapi.json``, with the page's security headers."""
    return Router("/schema", route_handlers=[], include_in_schema=False, response_headers=HEADERS)
