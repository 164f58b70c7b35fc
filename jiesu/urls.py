from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import api
from .core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("jiesu.routing.urls")),
    path("", include("jiesu.kpi.urls")),
    path("", include("jiesu.open311.urls")),
    path("", include("jiesu.hotspots.urls")),
    path("", include("jiesu.knowledge.urls")),
    path("", include("jiesu.notifications.urls")),
    path("", include("jiesu.tickets.urls")),
    path("", include("jiesu.portal.urls")),
    path("", include("jiesu.enterprise.urls")),
    path("", include("jiesu.channels.urls")),
]

# Chinese pages with a way on; JSON under /api/, GeoReport errors under /open311/.
handler400 = "jiesu.core.error_pages.bad_request"
handler403 = "jiesu.core.error_pages.permission_denied"
handler404 = "jiesu.core.error_pages.page_not_found"
handler500 = "jiesu.core.error_pages.server_error"
