"""The permission catalogue: permission code → 中文 label → the roles that hold it. Deny by default.

Services ask `has_perm(user, code)`; the workflow table names the code each action needs.
Which *tickets* a user may see or act on (department scope) lives in `jiesu.tickets.access`.
"""

from dataclasses import dataclass

from .models import Role


@dataclass(frozen=True)
class Permission:
    code: str
    label: str
    roles: frozenset[str]


def _p(code: str, label: str, *roles: Role) -> Permission:
    return Permission(code, label, frozenset(r.value for r in roles))


R = Role
CATALOGUE: dict[str, Permission] = {
    p.code: p
    for p in [
        _p("ticket.create", "登记诉求", R.OPERATOR, R.DISPATCHER, R.PARTNER, R.LIAISON, R.POLICE110, R.PETITION),
        _p("ticket.instant_close", "即时办结", R.OPERATOR),
        _p("ticket.dispatch", "派单", R.DISPATCHER, R.LIAISON, R.PETITION),
        _p("ticket.sign", "签收", R.HANDLER),
        _p("ticket.subdispatch", "下派", R.HANDLER),
        _p("ticket.return", "退单", R.HANDLER),
        _p("return.decide", "退单审核", R.DISPATCHER, R.PETITION),
        _p("ticket.contact", "联系诉求人", R.HANDLER),
        _p("ticket.reply", "答复", R.HANDLER),
        _p("reply.review", "答复审核", R.DISPATCHER, R.SUPERVISOR, R.PETITION),
        _p("extension.request", "申请延期", R.HANDLER),
        _p("extension.decide", "审批延期", R.DISPATCHER, R.SUPERVISOR, R.PETITION),
        _p("ticket.callback", "回访", R.OPERATOR, R.DISPATCHER, R.LIAISON, R.PETITION_AGENT),
        # The citizen's own 评价 on the website, taken by the website's account for the requests it registered.
        _p("ticket.evaluate", "网上评价", R.PARTNER),
        _p("ticket.view_own", "查看本账号登记的工单", R.PARTNER),
        _p("ticket.redo", "重办", R.SUPERVISOR, R.LIAISON, R.PETITION),
        _p("ticket.supervise", "督办", R.SUPERVISOR),
        _p("ticket.invalidate", "作废", R.DISPATCHER),
        _p("ticket.merge", "并单与撤销并单", R.DISPATCHER),
        _p("ticket.attach", "上传附件", R.OPERATOR, R.DISPATCHER, R.HANDLER, R.SUPERVISOR, R.PARTNER, R.PETITION,
           R.PETITION_AGENT),
        _p("ticket.view_all", "查看全部工单", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("ticket.view_intake", "查看受理与回访工单", R.OPERATOR),
        _p("ticket.view_department", "查看本单位工单", R.HANDLER),
        # The hotline centre registers, dispatches, calls back and supervises: it sees callers. A handling unit sees
        # the caller of a ticket it holds now (each view logged), unless the caller is 保密; leaders never need to.
        _p("ticket.view_caller", "查看来电人信息", R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.PETITION,
           R.PETITION_AGENT),
        _p("ticket.audit_caller_views", "查看来电人信息查看记录", R.SUPERVISOR, R.ADMIN),
        _p("call.announce", "推送来电弹屏", R.TELEPHONY),
        _p("directory.manage", "维护组织与分类", R.ADMIN),
        _p("kpi.view_all", "查看全部考核指标", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("kpi.view_department", "查看本单位考核指标", R.HANDLER),
        _p("hotspots.view", "查看热点与重复诉求", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("hotspots.adopt", "将热点立为治理事项", R.SUPERVISOR),
        _p("knowledge.search", "查阅知识库", R.OPERATOR, R.DISPATCHER, R.HANDLER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("knowledge.edit", "编写本单位知识", R.HANDLER, R.SUPERVISOR, R.ADMIN),
        _p("knowledge.edit_all", "编写任何单位的知识", R.SUPERVISOR, R.ADMIN),
        _p("knowledge.review", "审核发布知识", R.SUPERVISOR, R.ADMIN),
        # The enterprise registry: looked up at intake and dispatch; kept by the centre's administrators.
        _p("enterprise.view", "查阅企业库", R.OPERATOR, R.DISPATCHER, R.HANDLER, R.SUPERVISOR, R.ADMIN, R.LEADER,
           R.HELPER),
        _p("enterprise.manage", "维护企业库", R.ADMIN),
        # 帮办代办: a 帮办员 follows the enterprises and matters assigned to them (tickets.access decides which
        # tickets that is); the centre assigns them and reads every 帮办台账.
        _p("enterprise.help", "帮办代办", R.HELPER),
        _p("enterprise.assign_helper", "指派帮办员", R.SUPERVISOR, R.ADMIN),
        _p("enterprise.view_ledgers", "查看全部帮办台账", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        # 涉企政策: a unit writes its own policies; the centre reviews, publishes and may edit any.
        _p("policy.edit", "编写本单位涉企政策", R.HANDLER, R.SUPERVISOR, R.ADMIN),
        _p("policy.review", "审核发布涉企政策", R.SUPERVISOR, R.ADMIN),
        _p("policy.view", "查阅涉企政策库", R.OPERATOR, R.DISPATCHER, R.HANDLER, R.SUPERVISOR, R.ADMIN, R.LEADER,
           R.HELPER),
        # 百企评机关: the centre runs the campaigns and reads every result; a unit reads its own, anonymised.
        _p("evaluation.manage", "组织百企评机关", R.SUPERVISOR, R.ADMIN),
        _p("evaluation.view_all", "查看百企评机关结果", R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("evaluation.view_own", "查看本单位百企评机关结果", R.HANDLER),
        # 人大代表建议 / 政协委员提案: the liaison office registers them and sees all of them (and only them: the
        # ticket perms above reach no other ticket, by tickets.access); units see theirs as any ticket.
        _p("proposal.register", "登记建议提案", R.LIAISON, R.ADMIN),
        _p("proposal.view_all", "查看全部建议提案", R.LIAISON, R.SUPERVISOR, R.ADMIN, R.LEADER, R.DISPATCHER),
        # 110 ↔ 12345 联动: the centre signs 110's 非警务 transfers and hands 警情 to 110; 110's system account
        # files its transfers and answers for those it holds (it sees those tickets and no other: tickets.access).
        _p("police110.handle", "签收110转办", R.DISPATCHER),
        _p("police110.transfer", "转110", R.DISPATCHER),
        _p("police110.view", "查看110联动", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER),
        _p("police110.peer", "110系统对接", R.POLICE110),
        # 欠薪线索: the hotline registers the 欠薪信息 (the unit that has the clue may complete it); the centre,
        # leaders and the units (their own clues) read the 台账 of what they may see.
        _p("wage.record", "登记欠薪信息", R.OPERATOR, R.DISPATCHER, R.HANDLER),
        _p("wage.view", "查看欠薪线索台账", R.DISPATCHER, R.SUPERVISOR, R.ADMIN, R.LEADER, R.HANDLER),
        # 信访代办: the 信访办 registers 信访事项, hands them to units and assigns each a 代办员, and sees them all; a
        # 代办员 sees the matters assigned to them, a unit those it handles, and no one else any (tickets.access:
        # not 派单员, 督办员, 管理员 or 领导 — "visible only to the roles that handle them"; never published).
        _p("petition.register", "登记信访事项、指派代办员", R.PETITION),
        _p("petition.view_all", "查看全部信访事项", R.PETITION),
        _p("petition.agent", "信访代办", R.PETITION_AGENT),
    ]
}


def roles_of(user) -> frozenset[str]:
    """The user's roles: from the in-memory staff table (directory.snapshot), kept on the user for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_jiesu_roles", None)
    if cached is None:
        from .snapshot import staff_facts

        cached = staff_facts(user.pk)[1]
        if user.is_superuser:
            cached = cached | {Role.ADMIN.value}
        user._jiesu_roles = cached
    return cached


def staff_of(user):
    """The Staff row of a user, or None (e.g. a superuser created from the shell)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff
    except Exception:  # RelatedObjectDoesNotExist
        return None


def department_of(user):
    """The user's department (a shared directory.snapshot instance: read it, never save it), or None."""
    if user is None or not user.is_authenticated:
        return None
    from .snapshot import directory, staff_facts

    department_id = staff_facts(user.pk)[0]
    return directory().departments.get(department_id) if department_id is not None else None


def has_perm(user, code: str) -> bool:
    permission = CATALOGUE.get(code)
    if permission is None:
        return False
    return bool(roles_of(user) & permission.roles)
