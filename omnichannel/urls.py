from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from omnichannel import console, views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/counters/", views.counters, name="home-counters"),
    # The JavaScript strings (djangojs catalogue) in the reader's language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/dashboard/", console.dashboard_view, name="console-dashboard"),
    path("admin/reports/", console.report_view, name="console-reports"),
    path("admin/", admin.site.urls),
    path("api/", include("omnichannel.api_urls")),
    path("integrations/facebook/", include("integrations.facebook.urls")),
    path("", include("accounts.urls")),
    path("livechat/", include("integrations.livechat.urls")),
    path("rooms/", include("queues.urls")),
    path("rooms/", include("rooms.urls")),
    path("contact-center/", include("directory.urls")),
    path("productivity/", include("productivity.urls")),
    path("chat/", include("teamchat.urls")),
]
# Benchmark floors: only where BENCH_FLOORS is on (the bench harness), never in production.
if settings.BENCH_FLOORS:
    urlpatterns.append(path("bench/floor/", include("omnichannel.bench_views")))
