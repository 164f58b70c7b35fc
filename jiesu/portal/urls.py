from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("track/", views.track, name="track"),
    path("status/", RedirectView.as_view(pattern_name="track", query_string=True)),
]
