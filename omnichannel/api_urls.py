"""`/api/`: version 1 of the REST API, its OpenAPI schema and its documentation page."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

v1 = [
    path("", include("accounts.api.urls")),
    path("", include("directory.api.urls")),
    path("", include("directory.api_calls")),
    path("", include("queues.api.urls")),
    path("", include("rooms.api.urls")),
    path("", include("teamchat.api.urls")),
    path("", include("integrations.webhooks.api.urls")),
    path("", include("integrations.apichannel.urls")),
]


@csrf_exempt
def not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Any other address under /api/ answers in the API's error shape, not an HTML page."""
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)


# The documentation page runs Swagger UI, an inline script and its files from their CDN: this
# page alone gets a policy that lets them run.
api_docs = csp_override(
    {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.UNSAFE_INLINE, "https://cdn.jsdelivr.net"],
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE, "https://cdn.jsdelivr.net"],
        "img-src": [CSP.SELF, "data:", "https://cdn.jsdelivr.net"],
        "connect-src": [CSP.SELF],
    }
)(SpectacularSwaggerView.as_view(url_name="api-schema"))

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
