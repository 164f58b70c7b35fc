from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^open311/v2/discovery\.(?P<fmt>json|xml)$", views.discovery, name="open311_discovery"),
    re_path(r"^open311/v2/services\.(?P<fmt>json|xml)$", views.service_list, name="open311_services"),
    re_path(r"^open311/v2/services/(?P<code>[^/]+)\.(?P<fmt>json|xml)$", views.service_definition,
            name="open311_service"),
    re_path(r"^open311/v2/requests\.(?P<fmt>json|xml)$", views.requests, name="open311_requests"),
    re_path(r"^open311/v2/requests/(?P<number>[^/]+)\.(?P<fmt>json|xml)$", views.one_request, name="open311_request"),
    re_path(r"^open311/v2/tokens/(?P<token>[^/]+)\.(?P<fmt>json|xml)$", views.token, name="open311_token"),
    re_path(r"^open311/v2/(?P<rest>.*)$", views.not_found),
]
