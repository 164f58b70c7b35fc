from django.urls import path

from . import views

urlpatterns = [
    path("hotspots/", views.page, name="hotspots"),
    path("hotspots/detect/", views.detect_now, name="hotspots_detect"),
    path("hotspots/similar/", views.similar, name="hotspots_similar"),
    path("hotspots/runs/<int:run_id>.xlsx", views.export, name="hotspots_export"),
    path("hotspots/<int:hotspot_id>/", views.hotspot_detail, name="hotspot_detail"),
    path("hotspots/<int:hotspot_id>/adopt/", views.adopt, name="hotspot_adopt"),
    path("hotspots/items/<int:item_id>/done/", views.finish, name="governance_done"),
]
