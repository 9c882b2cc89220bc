from django.urls import path

from integrations.apichannel.views import InboundMessageView

urlpatterns = [
    path(
        "inbound/<slug:key>/messages/",
        InboundMessageView.as_view(),
        name="apichannel-inbound-message",
    ),
]
