from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "jiesu.channels"
    label = "channels"
    verbose_name = "专门渠道"

    def ready(self):
        from jiesu.tickets import lifecycle

        from . import proposals

        # 建议/提案: a 答复 needs the lead unit's 沟通 with the deputy and a 答复函; 重办 once only.
        lifecycle.register(lifecycle.Observer(name="channels", order=5, before_move=proposals.before_move))
