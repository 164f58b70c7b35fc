from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "jiesu.knowledge"
    verbose_name = "知识库"

    def ready(self):
        from jiesu.tickets import lifecycle

        from . import cases

        lifecycle.register(lifecycle.Observer(
            "knowledge", 40,
            moved=lambda ticket, transition, before, actor: cases.moved(ticket, transition, before, actor),
        ))
