from django.urls import path

from . import views

urlpatterns = [
    path("enterprises/lookup/", views.lookup, name="enterprise_lookup"),
]
