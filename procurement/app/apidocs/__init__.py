"""The API's documentation page at /schema: Swagger UI from vendored files, nothing from the internet."""

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
ASSETS = "/schema/static"


class OfflineSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI at /schema and /schema/swagger, its script and style served from the package."""

    def __init__(self) -> None:
        favicon = f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>"
        super().__init__(path=["/", "/swagger"], favicon=favicon)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page: it loads the document from /schema/openapi.json with the local bundle."""
        title = openapi_schema["info"]["title"]
        # validatorUrl null: the default would send the document to validator.swagger.io.
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  {self.style}
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{self.get_openapi_json_route(request)}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    }});
  </script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the vendored files beside the page."""
        router.register(
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)
        )
