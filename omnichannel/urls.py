from django.contrib import admin
from django.urls import include, path

from omnichannel import console, views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/counters/", views.counters, name="home-counters"),
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
]
