from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jiesu.notifications"
    verbose_name = "通知"

    def ready(self):
        from jiesu.tickets import lifecycle

        from .events import OBSERVER

        lifecycle.register(OBSERVER)
