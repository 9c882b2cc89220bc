"""Webhook subscriptions over the API, for LiveChat Managers."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.webhooks import services
from integrations.webhooks.api.serializers import (
    CreatedSubscriptionOutputSerializer,
    CreateSubscriptionInputSerializer,
    DeliveryOutputSerializer,
    SubscriptionOutputSerializer,
    UpdateSubscriptionInputSerializer,
)
from integrations.webhooks.models import Delivery, Subscription
from omnichannel.api import IsAgentOrManager, IsManager, validated


@extend_schema(tags=["webhooks"])
class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAgentOrManager, IsManager]
    serializer_class = SubscriptionOutputSerializer
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Subscription.objects.order_by("id")

    @extend_schema(
        request=CreateSubscriptionInputSerializer, responses=CreatedSubscriptionOutputSerializer
    )
    def create(self, request, *args, **kwargs):
        data = validated(CreateSubscriptionInputSerializer, request.data)
        subscription = services.create_subscription(request.user, **data)
        body = CreatedSubscriptionOutputSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UpdateSubscriptionInputSerializer, responses=SubscriptionOutputSerializer
    )
    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = validated(UpdateSubscriptionInputSerializer, request.data)
        subscription = services.update_subscription(request.user, subscription, **data)
        return Response(SubscriptionOutputSerializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        services.delete_subscription(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=DeliveryOutputSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The subscription's deliveries, newest first, each with its attempts."""
        subscription = self.get_object()
        deliveries = Delivery.objects.filter(subscription=subscription).prefetch_related("attempts")
        page = self.paginate_queryset(deliveries.order_by("-id"))
        return self.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)
