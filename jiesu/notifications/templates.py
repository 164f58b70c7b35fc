"""Message texts: built-in defaults, overridable in the admin (MessageTemplate), and one renderer.

Placeholders are `{name}` and nothing else (no attribute access, no formatting code): an admin edits the texts,
and a template must never reach into the objects behind it. What a staff message carries is limited on purpose:
a ticket's number, its category, the unit and the deadline — never the caller or the request's own words, because
SMS, e-mail and webhooks leave the system (a unit opens the ticket for the rest, through the access rule). A
caller's own messages carry their number and 查询码, and the gist of the answer to them.
"""

import re

from jiesu.core.stamps import Cached

STAMP = "notification_templates"

# code → (label, default text, the placeholders it may use)
DEFAULTS: dict[str, tuple[str, str]] = {
    "receipt": ("来电人：受理回执",
                "【12345】您的诉求已受理，工单编号{number}，查询码{query_code}。我们将依规办理并答复您，"
                "可凭编号和查询码查询进度。回复TD退订"),
    "reply_notice": ("来电人：答复通知",
                     "【12345】您的诉求（工单{number}）已由{department}答复：{gist}。如需了解详情或对办理结果有意见，"
                     "请致电12345。回复TD退订"),
    "dispatch": ("工作人员：新派单", "【12345】新派单：工单{number}（{category}）已派至{department}，请于{due}前签收。{link}"),
    "subdispatch": ("工作人员：下派", "【12345】工单{number}（{category}）已下派至{department}，请于{due}前签收。{link}"),
    "assist": ("工作人员：协办", "【12345】协办：工单{number}（{category}）由{department}主办，请本单位协办，于{due}前向主办单位反馈。{link}"),
    "assist_done": ("工作人员：协办反馈", "【12345】协办反馈：{department}已反馈工单{number}（{category}）的协办意见。{link}"),
    "withdraw": ("工作人员：撤回", "【12345】撤回：工单{number}（{category}）已由派单员从{department}撤回，无需签收。{link}"),
    "sla_warning": ("工作人员：临期提醒", "【12345】临期提醒：工单{number}（{category}）{clock}时限将于{due}到期，请抓紧办理。{link}"),
    "sla_overdue": ("工作人员：超期", "【12345】超期：工单{number}（{category}）{clock}已超过时限（{due}）。{link}"),
    "urge": ("工作人员：催办", "【12345】催办：工单{number}（{category}）{clock}超期未办，请立即办理。{link}"),
    "escalate": ("工作人员：升级督办", "【12345】升级督办：{department}的工单{number}（{category}）{clock}超期已久，已升级督办。{link}"),
    "return": ("工作人员：退单申请", "【12345】退单申请：{department}申请退回工单{number}（{category}），原因：{reason}，请审核。{link}"),
    "return_decided": ("工作人员：退单审核结果", "【12345】退单审核：工单{number}（{category}）的退单申请{decision}。{link}"),
    "reply_review": ("工作人员：答复待审核", "【12345】答复审核：{department}提交了工单{number}（{category}）的答复，请审核。{link}"),
    "reply_reviewed": ("工作人员：答复审核结果", "【12345】答复审核：工单{number}（{category}）的答复{decision}。{link}"),
    "request_extension": ("工作人员：延期申请", "【12345】延期申请：{department}申请将工单{number}（{category}）延期至{due}，请审批。{link}"),
    "extension_decided": ("工作人员：延期批复", "【12345】延期批复：工单{number}（{category}）的延期申请{decision}。{link}"),
    "redo": ("工作人员：重办", "【12345】重办：工单{number}（{category}）回访不满意，已退回{department}重办，请于{due}前答复。{link}"),
    "supervise": ("工作人员：督办", "【12345】督办：工单{number}（{category}）被督办，请加快办理。{link}"),
    "merge": ("工作人员：并单", "【12345】并单：工单{number}（{category}）已并入工单{parent}，随母单办理答复。{link}"),
    "unsatisfied": ("工作人员：回访不满意", "【12345】回访不满意：{department}办理的工单{number}（{category}），请研判是否重办。{link}"),
    "policy_push": ("企业：政策推送", "【12345】政策推送：《{title}》，贵企业可能符合条件{how}。详见政企直通车“政策”栏目。回复TD退订"),
    "evaluation_invite": ("企业：百企评机关邀请", "【12345】百企评机关：诚邀贵企业匿名评价打过交道的政府部门（{title}），请于{closes_on}前登录政企直通车参与。回复TD退订"),
    "helped_matter": ("帮办员：帮办事项进展", "【12345】帮办提醒：{enterprise}的工单{number}（{category}）{progress}。{link}"),
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def label(code: str) -> str:
    return DEFAULTS.get(code, (code, ""))[0]


def choices() -> list[tuple[str, str]]:
    return [(code, value[0]) for code, value in DEFAULTS.items()]


def _load() -> dict[str, str]:
    from .models import MessageTemplate

    return dict(MessageTemplate.objects.values_list("code", "text"))


_overrides = Cached(STAMP, _load)


def text_of(code: str) -> str:
    return _overrides.get().get(code) or DEFAULTS.get(code, ("", "{number}"))[1]


def render(text: str, data: dict) -> str:
    """Fill `{name}` placeholders from data; an unknown one is left as written (visible in the preview)."""
    return _PLACEHOLDER.sub(lambda m: str(data[m.group(1)]) if m.group(1) in data else m.group(0), text)


def forget() -> None:
    _overrides.clear()


SAMPLE = {
    "number": "2026112700012", "query_code": "483920", "category": "路灯不亮", "department": "城市管理委员会",
    "due": "11月28日 17:30", "clock": "签收", "gist": "经现场核查，路灯已于今日修复", "parent": "2026112700003",
    "decision": "已批准，答复期限延至12月05日", "link": "https://12345.example.gov.cn/tickets/2026112700012/",
}
