from django.apps import AppConfig


class EnterpriseConfig(AppConfig):
    name = "jiesu.enterprise"
    verbose_name = "企业服务"

    def ready(self):
        from jiesu.tickets import lifecycle

        from . import helpers

        # 帮办代办: the 帮办员 of an enterprise (or of one of its matters) is told of its progress (after the
        # notifications app's own notices, in the same transaction).
        lifecycle.register(lifecycle.Observer(name="enterprise", order=60, moved=helpers.moved,
                                              alerted=helpers.alerted))
