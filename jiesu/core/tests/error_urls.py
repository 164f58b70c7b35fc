"""The site's URLs plus pages that fail, for test_error_pages."""

from django.urls import path

from jiesu.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401 - the handlers


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom", boom),
    path("open311/v2/boom.xml", boom),
    *urlpatterns,
]
