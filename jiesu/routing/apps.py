from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "jiesu.routing"
    label = "routing"
    verbose_name = "智能派单"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from jiesu.core.stamps import bump

        from .models import RoutingModel
        from .services import STAMP

        # Every process keeps the active model in memory (services.active): any change to the models reloads it.
        def changed(sender, **kwargs):
            bump(STAMP)

        post_save.connect(changed, sender=RoutingModel, weak=False, dispatch_uid="stamp-routing-save")

        from jiesu.tickets import lifecycle

        from . import services

        lifecycle.register(lifecycle.Observer(
            "routing", 30,
            prepare=lambda draft, actor: services.prepare_registration(draft, actor),
            created=lambda ticket, result, actor: services.registered(ticket, result, actor),
            moved=lambda ticket, transition, before, actor: services.moved(ticket, transition, before, actor),
        ))
        post_delete.connect(changed, sender=RoutingModel, weak=False, dispatch_uid="stamp-routing-delete")
