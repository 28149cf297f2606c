"""The API's docs at `/schema`: Swagger UI (`/schema`, `/schema/swagger`) and Redoc (`/schema/redoc`) drawn
from the files shipped in `sidecar/static`, never a CDN, and the document itself as JSON and YAML.

The pages' Content-Security-Policy lets them load nothing from another host (Redoc's footer would fetch its
logo from its CDN), so they look the same with or without a network."""

from __future__ import annotations

from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)

from sidecar.assets import url

SAME_HOST_ONLY = ResponseHeader(
    name="Content-Security-Policy",
    value="default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:",
)


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """The pages under `/schema`; the first one is also the page at `/schema` itself."""
    favicon = f"<link rel='icon' type='image/png' href='{url('swagger-ui/favicon-32x32.png')}'>"
    return [
        SwaggerRenderPlugin(
            js_url=url("swagger-ui/swagger-ui-bundle.js"),
            css_url=url("swagger-ui/swagger-ui.css"),
            standalone_preset_js_url=url("swagger-ui/swagger-ui-standalone-preset.js"),
            path="/swagger",
            favicon=favicon,
        ),
        RedocRenderPlugin(js_url=url("redoc/redoc.standalone.js"), google_fonts=False, favicon=favicon),
        JsonRenderPlugin(),
        YamlRenderPlugin(),
    ]
