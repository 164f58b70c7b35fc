from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "jiesu.routing"
    label = "routing"
    verbose_name = "智能派单"
