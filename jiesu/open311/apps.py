from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "jiesu.open311"
    verbose_name = "Open311接口"
    default_auto_field = "django.db.models.BigAutoField"
