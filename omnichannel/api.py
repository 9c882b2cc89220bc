"""The REST API's shared plumbing: the error contract, access by role, pagination, body limits,
throttling and the schema's error responses. Resources live in each app's `api/` package."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import (
    exceptions,
    filters,
    pagination,
    parsers,
    permissions,
    serializers,
    throttling,
)
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.selectors import is_agent, is_manager
from omnichannel import throttle
from omnichannel.errors import DomainError

# Domain errors that say "the resource is not in the state you expected": 409 Conflict.
CONFLICT_CODES = frozenset(
    {
        "room_already_taken",
        "room_changed",
        "room_closed",
        "not_in_queue",
        "department_exists",
        "agent_exists",
        "identity_taken",
        "duplicate_message",
        "duplicate_name",
    }
)
# Domain errors that say "not you": 403 Forbidden. Every other domain error is a 400.
FORBIDDEN_CODES = frozenset(
    {
        "not_eligible",
        "not_serving_room",
        "not_allowed",
        "manager_required",
        "not_member",
        "not_owner",
    }
)


def status_for(error: DomainError) -> int:
    if error.code in CONFLICT_CODES:
        return 409
    if error.code in FORBIDDEN_CODES:
        return 403
    return 400


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class ErrorOutputSerializer(serializers.Serializer):
    """Every error the API answers: a message for people and a stable code for programs."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("For invalid input: the messages per field (dotted for nested fields)."),
    )


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as {"field" or "parent.child": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(item) for item in items]}


def _first_code(detail: Any) -> str:
    codes = detail
    while isinstance(codes, dict | list) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(getattr(codes, "code", "") or "invalid")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """One error contract: {"detail", "code"} (+ "fields" for invalid input); never a 500 for
    what the caller did wrong."""
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        per_field = getattr(exc, "errors", None)
        if isinstance(per_field, dict) and per_field:
            body["fields"] = {str(k): [str(m) for m in v] for k, v in per_field.items()}
        body.update(getattr(exc, "extra", None) or {})
        return Response(body, status=status_for(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied | Http404):
        pass  # DRF turns these into its own 403/404 below.
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        name, messages = next(iter(fields.items()))
        prefix = "" if name == api_settings.NON_FIELD_ERRORS_KEY else f"{name}: "
        response.data = {
            "detail": f"{prefix}{messages[0]}",
            "code": _first_code(exc.detail) if len(fields) == 1 else "invalid",
            "fields": fields,
        }
        return response
    detail = getattr(exc, "detail", None) or response.data.get("detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if isinstance(exc, Http404):
        code = "not_found"
    elif isinstance(exc, DjangoPermissionDenied):
        code = "permission_denied"
    response.data = {"detail": str(detail), "code": str(code)}
    return response


# --- access -------------------------------------------------------------------------------------


class IsAgentOrManager(permissions.BasePermission):
    """Signed in, active, and a LiveChat Agent or Manager; nobody else sees anything."""

    message = _("Only LiveChat agents and managers can use the API.")
    code = "not_an_agent"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return is_agent(user) or is_manager(user)


class IsManager(permissions.BasePermission):
    message = _("Only a LiveChat Manager can do this.")
    code = "manager_required"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and is_manager(user))


class ManagerWrites(IsManager):
    """Everyone with API access reads; only managers write."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)


# --- lists --------------------------------------------------------------------------------------


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class FilterBackend(DjangoFilterBackend):
    """django-filter, with every date-time filter value moved to UTC first.

    An ISO time with an offset PostgreSQL cannot store (e.g. +22:03) or that overflows on the
    way becomes a 400, not a database error.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        cleaned = filterset.form.cleaned_data
        for name, value in list(cleaned.items()):
            if isinstance(value, datetime) and value.tzinfo is not None:
                try:
                    cleaned[name] = value.astimezone(UTC)
                except OverflowError:
                    raise exceptions.ValidationError(
                        {name: [_("This time is out of range.")]}, code="invalid"
                    ) from None
        return filterset.qs


class StrictOrderingFilter(filters.OrderingFilter):
    """Ordering that refuses an unknown field (400) instead of silently ignoring it."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            unknown = [field for field in fields if field.lstrip("-") not in allowed]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            _("Unknown ordering field: %(fields)s. Use one of: %(allowed)s.")
                            % {"fields": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
                        ]
                    },
                    code="invalid_ordering",
                )
        return super().get_ordering(request, queryset, view)


# --- input --------------------------------------------------------------------------------------


def max_body_bytes() -> int:
    return getattr(settings, "API_MAX_BODY_BYTES", 256 * 1024)


class BoundedJSONParser(parsers.JSONParser):
    """JSON bodies up to API_MAX_BODY_BYTES; a bigger one is a 413, read no further."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError(_("The body is not valid JSON: %s") % error) from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class InputSerializer(serializers.Serializer):
    """An input that refuses fields it does not know, so a typo is an error, not a no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown field.")] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


# --- throttling ---------------------------------------------------------------------------------


class RuntimeRate:
    """Counted as the public endpoints are (omnichannel.throttle): one atomic increment of the
    window's counter a request. DRF's own throttles read and write back the time of every
    request in the window (1,200 entries at the default rate, two cache round trips), and
    concurrent requests overwrite each other's list, so some go uncounted.

    The rate is read from the settings at each request, so an override applies at once; the
    request goes through when the cache (Redis) does not answer.
    """

    scope: str
    seconds_to_wait: int | None = None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.seconds_to_wait = throttle.wait_for_rate(f"api:{self.scope}", key, self.get_rate())
        return self.seconds_to_wait is None

    def wait(self) -> int | None:
        return self.seconds_to_wait


class TokenRateThrottle(RuntimeRate, throttling.UserRateThrottle):
    """Per token (one per user): requests per minute of a signed-in caller."""


class AnonymousRateThrottle(RuntimeRate, throttling.AnonRateThrottle):
    """Per address, for callers without credentials."""


def validated(serializer_class: type[serializers.Serializer], data: Any, **context: Any) -> dict:
    """The input's validated data (400 with every field's message otherwise)."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IdFilter(django_filters.Filter):
    """A filter on an object id: a whole number a database column can hold, else a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
