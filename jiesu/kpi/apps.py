from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "jiesu.kpi"
    verbose_name = "考核指标"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jiesu.tickets import lifecycle

        from . import services

        # The rollup changes in the transaction that changes the ticket: the figures never disagree with the tickets.
        lifecycle.register(lifecycle.Observer(
            "kpi", 10,
            created=lambda ticket, prepared, actor: services.record_change(None, ticket),
            before_move=lambda ticket, action: services.snapshot(ticket),
            moved=lambda ticket, transition, counted, actor: services.record_change(counted, ticket),
        ))
