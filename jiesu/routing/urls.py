from django.urls import path

from . import views

urlpatterns = [
    path("routing/suggest/", views.suggest, name="routing_suggest"),
    path("routing/accept/", views.accept_confident, name="routing_accept"),
]
