from django.urls import path

from . import views

urlpatterns = [
    path("knowledge/", views.index, name="knowledge"),
    path("knowledge/suggest/", views.suggest, name="knowledge_suggest"),
    path("knowledge/<str:code>/", views.article, name="knowledge_article"),
    path("knowledge/<str:code>/<str:action>/", views.act, name="knowledge_act"),
]
