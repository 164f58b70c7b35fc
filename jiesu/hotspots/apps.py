from django.apps import AppConfig


class HotspotsConfig(AppConfig):
    name = "jiesu.hotspots"
    verbose_name = "重复诉求与热点"
