from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "jiesu.sla"
    label = "sla"
    verbose_name = "办理时限"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from jiesu.core.stamps import bump

        from . import models, services

        # Every process keeps the calendar and the rules in memory: any change to them, whichever way it is made,
        # bumps the stamp that makes every process reload them.
        def changed(sender, raw=False, **kwargs):
            bump(services.SLA_STAMP)

        for model in (models.CalendarDay, models.TimeLimitRule):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"stamp-{model.__name__}")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"stamp-del-{model.__name__}")
