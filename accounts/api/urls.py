from rest_framework.routers import SimpleRouter

from accounts.api.views import AgentViewSet, DepartmentViewSet

router = SimpleRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("agents", AgentViewSet, basename="agent")

urlpatterns = router.urls
