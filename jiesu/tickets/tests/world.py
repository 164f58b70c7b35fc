"""A small organisation for tests: hotline centre, two departments (A with a sub-unit), one user per role."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.core import clock
from jiesu.directory.models import Category, Department, Region
from jiesu.directory.tests.factories import CategoryFactory, DepartmentFactory, RegionFactory, make_staff
from jiesu.tickets import services
from jiesu.tickets.workflow import Action, State


@dataclass
class World:
    hotline: Department
    dept_a: Department
    dept_a_sub: Department
    dept_b: Department
    region: Region
    category: Category
    operator: object
    dispatcher: object
    supervisor: object
    admin: object
    handler_a: object
    handler_a_sub: object
    handler_b: object

    @classmethod
    def build(cls) -> "World":
        hotline = DepartmentFactory(code="HOT", name="热线中心", kind=Department.Kind.HOTLINE_CENTER)
        dept_a = DepartmentFactory(code="A", name="甲委员会")
        dept_a_sub = DepartmentFactory(code="A1", name="甲委员会一科", parent=dept_a)
        dept_b = DepartmentFactory(code="B", name="乙局")
        region = RegionFactory(code="110", name="测试区")
        top = CategoryFactory(code="01", name="城市管理")
        category = CategoryFactory(code="0101", name="路灯不亮", parent=top, default_department=dept_a)
        return cls(
            hotline=hotline,
            dept_a=dept_a,
            dept_a_sub=dept_a_sub,
            dept_b=dept_b,
            region=region,
            category=category,
            operator=make_staff("operator", hotline, username="operator"),
            dispatcher=make_staff("dispatcher", hotline, username="dispatcher"),
            supervisor=make_staff("supervisor", hotline, username="supervisor"),
            admin=make_staff("admin", hotline, username="admin"),
            handler_a=make_staff("handler", dept_a, username="handler_a"),
            handler_a_sub=make_staff("handler", dept_a_sub, username="handler_a_sub"),
            handler_b=make_staff("handler", dept_b, username="handler_b"),
        )

    def users(self) -> dict:
        return {
            name: getattr(self, name)
            for name in ("operator", "dispatcher", "supervisor", "admin", "handler_a", "handler_a_sub", "handler_b")
        }

    def new_ticket(self, by=None, **data):
        payload = {
            "channel": "phone",
            "kind": "consult",
            "content": "东湖路路灯连续三晚不亮，请尽快维修。",
            "caller_name": "张先生",
            "caller_phone": "13800138000",
            "region": self.region.code,
            "category": self.category.code,
            **data,
        }
        return services.create_ticket(actor=by or self.operator, data=payload)

    def parent_ticket(self):
        """An open ticket to merge others into (created once per world)."""
        if getattr(self, "_parent", None) is None:
            self._parent = self.new_ticket(content="东湖路路灯一排都不亮了，晚上很黑。", caller_phone="13900139000")
        return self._parent

    def payload(self, action: Action) -> tuple[object, dict]:
        """A valid (actor, payload) for each action on a ticket assigned to department A."""
        future = (clock.today() + timedelta(days=10)).isoformat()
        if action == Action.MERGE:
            return self.dispatcher, {"parent": self.parent_ticket().number, "note": "同一路段路灯"}
        return {
            Action.INSTANT_CLOSE: (self.operator, {"reply_text": "已在电话中解答"}),
            Action.DISPATCH: (self.dispatcher, {"department": "A"}),
            Action.WITHDRAW: (self.dispatcher, {"reason": "派错单位，撤回重派"}),
            Action.SIGN: (self.handler_a, {}),
            Action.ADD_ASSIST: (self.dispatcher, {"assist": ["B"]}),
            Action.SIGN_ASSIST: (self.handler_b, {}),
            Action.SUBMIT_ASSIST: (self.handler_b, {"text": "乙委员会已核实：该路段线路由我委负责，已安排检修。"}),
            Action.SUBDISPATCH: (self.handler_a, {"department": "A1"}),
            Action.RETURN: (self.handler_a, {"reason_category": "not_ours", "reason": "不属于本单位职责"}),
            Action.APPROVE_RETURN: (self.dispatcher, {"note": "同意退单"}),
            Action.REJECT_RETURN: (self.dispatcher, {"note": "属于本单位职责，请继续办理"}),
            Action.CONTACT: (self.handler_a, {"method": "phone", "note": "已电话联系来电人"}),
            Action.REQUEST_EXTENSION: (self.handler_a, {"reason": "需要协调产权单位", "due_at": future}),
            Action.APPROVE_EXTENSION: (self.dispatcher, {"note": "同意"}),
            Action.REJECT_EXTENSION: (self.dispatcher, {"note": "理由不充分"}),
            Action.REPLY: (self.handler_a, {"reply_text": "已修复路灯", "result": "resolved"}),
            Action.SUBMIT_REPLY: (self.handler_a, {"reply_text": "已修复路灯", "result": "resolved"}),
            Action.APPROVE_REPLY: (self.dispatcher, {"note": "答复规范"}),
            Action.REJECT_REPLY: (self.dispatcher, {"note": "答复过于简单，请说明维修时间"}),
            Action.CALLBACK: (
                self.operator,
                {"status": "reached", "satisfaction": "unsatisfied", "resolved": False},
            ),
            Action.EVALUATE: (self.website(), {"satisfaction": "satisfied", "resolved": True}),
            Action.REDO: (self.supervisor, {"note": "群众不满意，请重办"}),
            Action.SUPERVISE: (self.supervisor, {"note": "请加快办理"}),
            Action.INVALIDATE: (self.dispatcher, {"reason": "test"}),
            Action.ATTACH: (self.dispatcher, {"file": SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff fake jpeg")}),
            Action.UNMERGE: (self.dispatcher, {"note": "并非同一事项"}),
            Action.FOLLOW_REPLY: (self.handler_a, {}),
            Action.ACCEPT_110: (self.dispatcher, {}),
            Action.TRANSFER_110: (self.dispatcher, {"reason": "正在发生的斗殴，属于警情"}),
            Action.POLICE_FEEDBACK: (self.police110(), {"kind": "ack", "text": "110已签收"}),
            Action.POLICE_RETURN: (self.police110(), {"reason": "不属于警情，请12345办理"}),
        }[action]

    def act(self, ticket, action: Action, **overrides):
        actor, payload = self.payload(action)
        payload.update(overrides)
        return services.perform(ticket.number, action, actor=actor, **payload)

    # The shortest path to each state.
    PATHS = {
        State.PENDING_DISPATCH: [],
        State.PENDING_SIGN: [Action.DISPATCH],
        State.IN_PROGRESS: [Action.DISPATCH, Action.SIGN],
        State.PENDING_CALLBACK: [Action.DISPATCH, Action.SIGN, Action.REPLY],
        State.CLOSED: [Action.DISPATCH, Action.SIGN, Action.REPLY, Action.CALLBACK],
        State.INVALID: [Action.INVALIDATE],
        State.MERGED: [Action.MERGE],
        State.TRANSFERRED: [Action.TRANSFER_110],
    }

    def police110(self):
        """The 110 police dispatch system's account (jiesu.channels.police)."""
        from django.contrib.auth import get_user_model

        found = get_user_model().objects.filter(username="sys110").first()
        return found or make_staff("police110", self.hotline, username="sys110")

    def website(self):
        """The website's account (市民网站): registers web requests and takes their 网上评价."""
        from jiesu.portal.services import portal_user

        return portal_user()

    def give_back(self, ticket):
        """退单 and the dispatcher upholding it: the ticket waits for dispatch again."""
        return self.act(self.act(ticket, Action.RETURN), Action.APPROVE_RETURN)

    def review_answers_of(self, department=None):
        """A 答复审核 rule for this unit (department A by default)."""
        from jiesu.tickets.models import ReplyReviewRule

        return ReplyReviewRule.objects.create(department=department or self.dept_a)

    def ticket_in(self, state: State, by=None, **data):
        ticket = self.new_ticket(by, **data)
        for action in self.PATHS[state]:
            ticket = self.act(ticket, action)
        assert ticket.state == state
        return ticket
