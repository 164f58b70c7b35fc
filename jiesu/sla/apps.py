from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "jiesu.sla"
    label = "sla"
    verbose_name = "办理时限"
