"""`/api/`: version 1 of the REST API, its OpenAPI schema and its documentation page."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

v1 = [
    path("", include("accounts.api.urls")),
    path("", include("directory.api.urls")),
    path("", include("directory.api_calls")),
    path("", include("queues.api.urls")),
    path("", include("rooms.api.urls")),
    path("", include("integrations.webhooks.api.urls")),
    path("", include("integrations.apichannel.urls")),
]


@csrf_exempt
def not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Any other address under /api/ answers in the API's error shape, not an HTML page."""
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)


urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
