from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badges/", views.badges, name="notification_badges"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/preferences/", views.preferences, name="notification_preferences"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
]
