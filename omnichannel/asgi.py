"""ASGI entry point: Django for HTTP, Channels for websockets; Daphne serves both."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnichannel.settings")

# Django must be set up before anything imports models (as get_asgi_application does).
django.setup(set_prefix=False)

from omnichannel.handlers import OneHopASGIHandler  # noqa: E402

django_http = OneHopASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from omnichannel.memory import tune_for_server  # noqa: E402
from omnichannel.middleware import RequestBodyLimit  # noqa: E402
from omnichannel.routing import websocket_urlpatterns  # noqa: E402
from omnichannel.warmup import warm_up  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files are served by the same process, so one Daphne is a whole deployment.
        # Bodies over MAX_REQUEST_BODY_BYTES are a 413 before Django reads them.
        "http": RequestBodyLimit(ASGIStaticFilesHandler(django_http)),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

warm_up()
tune_for_server()
