from django.apps import AppConfig


class HotspotsConfig(AppConfig):
    name = "jiesu.hotspots"
    verbose_name = "重复诉求与热点"

    def ready(self):
        from jiesu.tickets import lifecycle

        from . import services

        lifecycle.register(lifecycle.Observer(
            "hotspots", 20,
            prepare=lambda draft, actor: services.prepare_registration(draft, actor),
            created=lambda ticket, found, actor: services.registered(ticket, found, actor),
        ))
