from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "jiesu.channels"
    label = "channels"
    verbose_name = "专门渠道"

    def ready(self):
        from jiesu.notifications import channels as outbound
        from jiesu.tickets import lifecycle

        from . import petitions, police, proposals, wages

        def before_move(ticket, action):
            proposals.before_move(ticket, action)  # 建议/提案: 答复 needs a 沟通 and a 答复函; 重办 once only
            police.before_move(ticket, action)  # 签收110转办: a 转入 not yet signed
            wages.before_move(ticket, action)  # 欠薪线索: 答复 needs the 处理结果
            petitions.before_move(ticket, action)  # 信访事项: closed only by the 代办员's 事心双解

        def moved(ticket, transition, before, actor):
            police.moved(ticket, transition, before, actor)  # 110 联动: the transfer's facts kept, and 110 told
            wages.moved(ticket, transition, before, actor)  # 欠薪线索: the 回访 reaches the worker
            petitions.moved(ticket, transition, before, actor)  # 信访事项: 重办 reopens the 事心双解

        lifecycle.register(lifecycle.Observer(name="channels", order=5, created=wages.created,
                                              before_move=before_move, moved=moved))
        outbound.register_peer(police.PEER, police.send)
