from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "jiesu.kpi"
    verbose_name = "考核指标"
    default_auto_field = "django.db.models.BigAutoField"
