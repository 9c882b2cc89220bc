"""The OpenAPI schema's shared parts: the error responses every operation may give.

Apart from `omnichannel.api` because drf-spectacular imports DRF's views, which read the
settings that name `omnichannel.api`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from omnichannel.api import ErrorOutputSerializer

# --- schema -------------------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input or a refused action (`code` says which)."),
    "401": _("No credentials, or credentials that do not work (e.g. a deactivated user)."),
    "403": _("The caller's role does not allow this."),
    "404": _("No such object, or not one the caller may see (the same answer)."),
    "409": _("The object is not in the state the action needs (e.g. the room was taken)."),
    "413": _("The body is too large."),
    "415": _("The body's media type is not accepted."),
    "429": _("Too many requests; retry after the number of seconds in `Retry-After`."),
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation may give, in the one error shape."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "413", "415"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorOutputSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": str(_("Seconds to wait before the next request.")),
            }
        return headers
