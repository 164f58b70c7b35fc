"""The default time-limit rules every installation starts with (docs/sla.md gives their sources).

Each rule: name, match criteria, then (amount, unit) for 签收, 响应, 答复 and 回访, then priority and source.
"""

H, W, M, D = "clock_hours", "working_days", "calendar_months", "calendar_days"
HOTLINE = "答复时限：DB11/T 2021—2022 及各地公开的接诉即办规定；签收2小时同上；响应、回访时限为 jiesu 默认值"
PROPOSALS = "答复时限：自交办之日起三个月内办结（建议、提案办理办法）；其余为 jiesu 默认值"
POLICE = "110与12345联动：非警务类转办按紧急诉求从快办理（jiesu 默认值，按本地联动机制调整）"
WAGES = "根治欠薪：欠薪线索5个工作日内办结（各地根治欠薪线索办理规定）；回访从严；其余为 jiesu 默认值"
PETITIONS = "信访工作条例：自受理之日起60日内办结；签收、响应、回访为 jiesu 默认值"
ENTERPRISE = "jiesu 默认值（较一般诉求从严），按本地优化营商环境的规定调整"

DEFAULT_RULES = [
    ("一般诉求", {}, (2, H), (24, H), (7, W), (2, W), 0, HOTLINE),
    ("咨询", {"kind": "consult"}, (2, H), (24, H), (1, W), (1, W), 1, HOTLINE),
    ("复杂疑难", {"is_complex": True}, (2, H), (24, H), (15, W), (2, W), 3, HOTLINE),
    ("紧急（水电气热等时效性强）", {"urgency": "urgent"}, (2, H), (2, H), (24, H), (1, W), 5, HOTLINE),
    ("特急（突发、危及生命财产安全）", {"urgency": "critical"}, (0.5, H), (1, H), (2, H), (1, W), 10, HOTLINE),
    # 涉企诉求 from the business line's promises ("涉企事项有人盯、有人跟、有人办"): signed within the hour, the
    # enterprise called within 4 hours, answered within 5 working days. Priority 0: a 咨询, 复杂疑难 or urgent
    # request of an enterprise keeps its own rule.
    ("涉企诉求", {"enterprise": True}, (1, H), (4, H), (5, W), (1, W), 0, ENTERPRISE),
    ("人大代表建议", {"channel": "npc"}, (1, W), (10, W), (3, M), (10, W), 8, PROPOSALS),
    ("政协委员提案", {"channel": "cppcc"}, (1, W), (10, W), (3, M), (10, W), 8, PROPOSALS),
    # 110's 非警务 transfers: someone called the police about it, now. Priority 9: only 特急 (10) is faster.
    ("110转办", {"channel": "110"}, (0.5, H), (1, H), (24, H), (1, W), 9, POLICE),
    # 欠薪线索: the worker called within the day, the case settled in 5 working days, the worker called back in one.
    # Priority 4: 紧急 (5) and 特急 (10) are faster; it beats 复杂疑难 (3) — 欠薪 is not left waiting 15 days.
    ("欠薪线索", {"wage_arrears": True}, (2, H), (24, H), (5, W), (1, W), 4, WAGES),
    # 信访事项: 60 days to conclude (信访工作条例); the unit meets the person within 5 working days.
    ("信访事项", {"channel": "petition"}, (1, W), (5, W), (60, D), (5, W), 8, PETITIONS),
]


def create_default_rules(TimeLimitRule) -> None:
    """The rules not yet there (by name). A migration calls this with the model as it was then: rules whose
    criteria it does not have yet are left to the later migration that adds them."""
    fields = {f.name for f in TimeLimitRule._meta.get_fields()}
    for name, criteria, sign, contact, reply, callback, priority, source in DEFAULT_RULES:
        if not set(criteria) <= fields:
            continue
        TimeLimitRule.objects.get_or_create(
            name=name,
            defaults={
                **criteria,
                "sign_limit": sign[0],
                "sign_unit": sign[1],
                "contact_limit": contact[0],
                "contact_unit": contact[1],
                "reply_limit": reply[0],
                "reply_unit": reply[1],
                "callback_limit": callback[0],
                "callback_unit": callback[1],
                "priority": priority,
                "source": source,
            },
        )
