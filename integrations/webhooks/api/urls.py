from rest_framework.routers import SimpleRouter

from integrations.webhooks.api.views import SubscriptionViewSet

router = SimpleRouter()
router.register("webhooks", SubscriptionViewSet, basename="webhook")

urlpatterns = router.urls
