from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("track/", views.track, name="track"),
    path("track/rate/", views.rate, name="track_rate"),
    path("track/phone/", views.track_phone, name="track_phone"),
    path("track/mine/", views.track_mine, name="track_mine"),
    path("status/", RedirectView.as_view(pattern_name="track", query_string=True)),
    path("submit/", views.submit, name="portal_submit"),
    path("letters/", views.letters, name="letters"),
    path("submit/done/", views.done, name="portal_done"),
    path("submit/answers/", views.answers, name="portal_answers"),
    path("submit/solved/", views.deflected, name="portal_deflected"),
]
