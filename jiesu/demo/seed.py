"""Load the fictional district of jiesu.demo.data: directory, accounts, and tickets in every state.

Tickets are made through the real services (with the clock set back) so their history is genuine.
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from jiesu.core import clock
from jiesu.directory.models import Category, CategoryRoute, Department, Region, Role, Staff, StaffRole
from jiesu.directory.services import suggest_department
from jiesu.hotspots import services as hotspots
from jiesu.portal.services import portal_user
from jiesu.routing import services as routing
from jiesu.sla import services as sla
from jiesu.tickets import services
from jiesu.tickets.models import ReplyReviewRule, Ticket
from jiesu.tickets.workflow import Action, State

from . import data

User = get_user_model()


def is_seeded() -> bool:
    return Department.objects.filter(code=data.HOTLINE[0]).exists()


def _account(username, full_name, role, department, *, superuser=False):
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    user.first_name = full_name
    user.is_staff = superuser
    user.is_superuser = superuser
    user.set_password(data.PASSWORD)
    user.save()
    staff, _ = Staff.objects.update_or_create(user=user, defaults={"department": department})
    StaffRole.objects.get_or_create(staff=staff, role=role)
    return user


@transaction.atomic
def seed_directory() -> dict:
    district_code, district_name = data.DISTRICT
    district = Region.objects.create(code=district_code, name=district_name, level=Region.Level.DISTRICT)
    hotline = Department.objects.create(
        code=data.HOTLINE[0], name=data.HOTLINE[1], kind=Department.Kind.HOTLINE_CENTER, region=district
    )
    government = Department.objects.create(
        code=data.GOVERNMENT[0], name=data.GOVERNMENT[1], kind=Department.Kind.GOVERNMENT, region=district
    )
    departments = {hotline.code: hotline, government.code: government}
    for code, name in data.BUREAUS:
        departments[code] = Department.objects.create(
            code=code, name=name, kind=Department.Kind.BUREAU, parent=government, region=district
        )
    for code, name in data.ENTERPRISES:
        departments[code] = Department.objects.create(
            code=code, name=name, kind=Department.Kind.ENTERPRISE, region=district
        )
    street_departments = {}
    for suffix, name, communities in data.STREETS:
        region = Region.objects.create(
            code=district_code + suffix, name=name, level=Region.Level.STREET, parent=district
        )
        street = Department.objects.create(
            code=f"MHJD{suffix}", name=f"{name}办事处", kind=Department.Kind.STREET, parent=government, region=region
        )
        departments[street.code] = street
        street_departments[region] = street
        for i, community in enumerate(communities, start=1):
            sub_region = Region.objects.create(
                code=f"{region.code}{i:03d}", name=community, level=Region.Level.COMMUNITY, parent=region
            )
            departments[f"{street.code}{i:02d}"] = Department.objects.create(
                code=f"{street.code}{i:02d}",
                name=f"{community}居委会",
                kind=Department.Kind.COMMUNITY,
                parent=street,
                region=sub_region,
            )

    def add_categories(nodes, parent):
        for node in nodes:
            code, name, default = node[0], node[1], node[2]
            department = None if default in (None, "STREET") else departments[default]
            if default == "STREET":
                department = departments["MHMZJ"]
            category = Category.objects.create(code=code, name=name, parent=parent, default_department=department)
            if default == "STREET":
                for region, street in street_departments.items():
                    CategoryRoute.objects.create(category=category, region=region, department=street)
            if len(node) > 3:
                add_categories(node[3], category)

    add_categories(data.CATEGORIES, None)
    Category.objects.filter(code=data.WAGE_CATEGORY).update(wage_arrears=True)  # 拖欠工资: 欠薪线索
    for code, unit in data.ENTERPRISE_UNITS.items():  # the 涉企服务 tree (migration enterprise 0003)
        Category.objects.filter(code=code).update(default_department=departments[unit])

    accounts = {}
    for username, full_name, role, department_code in data.ACCOUNTS:
        made = _account(username, full_name, role, departments[department_code], superuser=(role == Role.ADMIN))
        accounts.setdefault(role, made)  # the first account of a role is the one the demo's stories use
    handlers = {departments["MHCGW"].pk: accounts[Role.HANDLER]}
    for code, department in departments.items():
        if department.kind != Department.Kind.HOTLINE_CENTER and department.pk not in handlers:
            handlers[department.pk] = _account(f"cb_{code.lower()}", f"{department.name}承办人", Role.HANDLER,
                                               department)
    # 答复审核: the centre reads the market regulator's answers (food-safety complaints) before the callback.
    ReplyReviewRule.objects.create(department=Department.objects.get(code="MHSJJ"))
    return {"accounts": accounts, "handlers": handlers}


def _step(at, rng, low_hours=0.2, high_hours=20):
    return at + timedelta(hours=rng.uniform(low_hours, high_hours))


def seed_tickets(people: dict, *, count: int, seed: int = 12345) -> int:
    """Make `count` tickets over the last 45 days and move each through a believable part of the workflow."""
    from jiesu.enterprise.models import Enterprise

    rng = random.Random(seed)
    pick = random.Random(seed + 1)  # the enterprises, drawn apart so the rest of the demo stays as it was
    enterprises = list(Enterprise.objects.order_by("credit_code").values_list("credit_code", "name"))
    accounts, handlers = people["accounts"], people["handlers"]
    operator, dispatcher = accounts[Role.OPERATOR], accounts[Role.DISPATCHER]
    supervisor = accounts[Role.SUPERVISOR]
    streets = list(Region.objects.filter(level=Region.Level.STREET).order_by("code"))
    website = portal_user()
    now = clock.now()
    made = 0
    for i in range(count):
        category_code, kind, urgency, text = rng.choice(data.TEXTS)
        if category_code == data.WAGE_CATEGORY:  # 欠薪线索 have their own flow and stages (seed_wages)
            category_code, kind, urgency, text = next(t for t in data.TEXTS if t[0] == "050202")
        region = rng.choice(streets)
        place = rng.choice(data.PLACES[region.code[-3:]])
        category = Category.objects.get(code=category_code)
        at = now - timedelta(days=45 * (count - i) / count, hours=rng.uniform(0, 6))
        channel = rng.choices(["phone", "web", "mobile", "enterprise", "api"], [65, 12, 15, 5, 3])[0]
        payload = {
            "channel": channel,
            "kind": kind,
            "urgency": urgency,
            "content": text.format(place=region.name + place),
            "caller_name": rng.choice(data.CALLERS),
            "caller_phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            "address": f"江州市明湖区{region.name}{place}",
            "region": region.code,
            "category": category_code if rng.random() < 0.85 else "",
        }
        if channel == "enterprise":  # an enterprise of the registry calls (seed_enterprises), the demo's own most
            # often; what enterprises file through 政企直通车 itself is seed_direct's, in their own words.
            payload["channel"] = "phone"
            payload["credit_code"], payload["enterprise_name"] = (
                DEMO_ENTERPRISE if pick.random() < 0.3 else pick.choice(enterprises))
        # Website and app requests come through the citizen pages' account; many agree to 公开.
        author = website if channel in ("web", "mobile") else operator
        if author is website:
            payload["public"] = rng.random() < 0.6
        with clock.frozen(at):
            if kind == "consult" and author is operator and rng.random() < 0.6:
                payload["answer"] = data.REPLIES["explained"]
                services.create_ticket(actor=operator, data=payload)
                made += 1
                continue
            ticket = services.create_ticket(actor=author, data=payload)
        made += 1
        _advance(ticket, rng, at, now, operator, dispatcher, supervisor, handlers, category, region)
    return made


def seed_knowledge(people: dict) -> None:
    """The demo's knowledge base, published by the 督办员, with its synonym table."""
    from jiesu.knowledge import services as knowledge
    from jiesu.knowledge.models import SynonymGroup

    SynonymGroup.objects.bulk_create([SynonymGroup(words=words) for words in data.SYNONYMS])
    reviewer = people["accounts"][Role.SUPERVISOR]
    for owner, title, questions, answer, basis, tags, category in data.ARTICLES:
        version = knowledge.save_draft(actor=reviewer, owner=owner, data={
            "title": title, "questions": questions, "answer": answer, "basis": basis, "tags": tags,
            "category": category})
        knowledge.submit(actor=reviewer, code=version.article.code)
        knowledge.review(actor=reviewer, code=version.article.code, approve=True, note="演示数据")


def seed_repeats(people: dict) -> int:
    """Repeat calls about one matter, left waiting for dispatch: 疑似重复 in the queue, a 重复来电, a hotspot."""
    operator, dispatcher = people["accounts"][Role.OPERATOR], people["accounts"][Role.DISPATCHER]
    region = Region.objects.get(code__endswith=data.REPEATS_STREET, level=Region.Level.STREET)
    now = clock.now()
    made = []
    for days, caller, text in data.REPEATS:
        with clock.frozen(now - timedelta(days=days)):
            made.append(services.create_ticket(actor=operator, data={
                "channel": "phone", "kind": "help", "content": text, "region": region.code,
                "caller_name": data.CALLERS[caller], "caller_phone": f"13900{caller:06d}",
                "address": f"江州市明湖区{region.name}滨江一号小区地下车库入口",
            }))
    # The dispatcher has merged the second call into the first; the rest wait in the queue with their matches.
    with clock.frozen(now - timedelta(days=data.REPEATS[1][0], hours=-1)):
        services.perform(made[1].number, Action.MERGE, actor=dispatcher, parent=made[0].number,
                         note="同一车库入口积水")
    return len(made)


class _Now(Exception):
    """The walk reached the present: the ticket stays where it is."""


def _advance(ticket, rng, at, now, operator, dispatcher, supervisor, handlers, category, region):
    """Walk the ticket forward; older tickets get further. Stops before `now`."""
    age = (now - at).days
    goal = rng.random() * min(1.0, age / 10 + 0.2)
    number = ticket.number

    def act(action, actor, *, within_hours=10, **payload):
        nonlocal at
        at = _step(at, rng, low_hours=min(0.2, within_hours / 4), high_hours=within_hours)
        if at >= now:
            raise _Now
        with clock.frozen(at):
            return services.perform(number, action, actor=actor, **payload)

    try:
        if rng.random() < 0.03:
            act(Action.INVALIDATE, dispatcher, reason=rng.choice(["invalid", "harassment", "test"]), note="经核实为无效来电")
            return
        if goal < 0.1:
            return
        if ticket.state == State.PENDING_SIGN:  # 智能派单 already dispatched it (auto-dispatch is on)
            department = ticket.department
        else:
            department = suggest_department(category, region) or Department.objects.get(code="MHCGW")
            if rng.random() < 0.08:  # a wrong first dispatch that comes back
                wrong = Department.objects.get(code=rng.choice(["MHZJW", "MHSJJ", "MHJTW"]))
                if wrong.pk != department.pk:
                    act(Action.DISPATCH, dispatcher, department=wrong.code, category=category.code)
                    act(Action.RETURN, handlers[wrong.pk], reason_category="not_ours",
                        reason="该事项不属于我单位职责，请改派")
                    act(Action.APPROVE_RETURN, dispatcher, within_hours=2, note="同意退单，另行派单")
            # 主办/协办 for some: a second unit sends its part to the lead.
            helper = None
            if rng.random() < 0.1:
                helper = Department.objects.get(code=rng.choice(["MHSTJ", "MHJTW", "MHZJW"]))
            assist = [helper.code] if helper and helper.pk != department.pk else []
            act(Action.DISPATCH, dispatcher, department=department.code, category=category.code, assist=assist)
            if assist and goal > 0.3:
                act(Action.SUBMIT_ASSIST, handlers[helper.pk], within_hours=20,
                    text="我单位已配合现场核实，相关情况已告知主办单位，请主办单位统一答复。")
        if goal < 0.2:
            return
        handler = handlers[department.pk]
        # Most units sign within the hour and call the caller back the same day; some are late.
        ticket = act(Action.SIGN, handler, within_hours=1 if rng.random() < 0.9 else 8, note="已签收")
        if rng.random() < 0.85:
            ticket = act(Action.CONTACT, handler, within_hours=3 if rng.random() < 0.9 else 30, method=rng.choice(["phone", "phone", "visit", "sms"]),
                         note="已与诉求人联系，了解具体情况")
        if department.kind == Department.Kind.STREET and rng.random() < 0.7:
            community = department.children.first()
            if community is not None:
                act(Action.SUBDISPATCH, handler, department=community.code, note="请社区先行入户核实")
                handler = handlers[community.pk]
                ticket = act(Action.SIGN, handler, within_hours=1, note="已签收")
        if rng.random() < 0.1:
            ticket = act(Action.SUPERVISE, supervisor, note="该诉求群众反映强烈，请加快办理")
        # 延期 only while the reply deadline is still ahead (with a margin for the next step's time).
        if rng.random() < 0.15 and ticket.reply_due_at and ticket.reply_due_at - at > timedelta(days=1):
            act(Action.REQUEST_EXTENSION, handler, reason="需协调产权单位共同处理",
                due_at=clock.local_day(ticket.reply_due_at + timedelta(days=7)))
            if goal > 0.5:
                act(rng.choice([Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION]), dispatcher, note="同意" if rng.random() < 0.5 else "理由不充分")
        if goal < 0.4:
            return
        result = rng.choices(list(data.REPLIES), [60, 15, 12, 8, 5])[0]
        if services.review_rule(ticket) is not None:  # 答复审核: the centre reads it before the callback
            act(Action.SUBMIT_REPLY, handler, reply_text=data.REPLIES[result], result=result)
            if goal < 0.45:
                return
            act(Action.APPROVE_REPLY, dispatcher, within_hours=4, note="答复规范，同意转回访")
        else:
            act(Action.REPLY, handler, reply_text=data.REPLIES[result], result=result)
        if goal < 0.55:
            return
        reached = rng.random() < 0.9
        satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], [70, 18, 12])[0]
        if ticket.created_by_id == portal_user().pk and reached:  # the citizen rates it online (网上评价)
            ticket.refresh_from_db()
            if services.evaluation_open(ticket, at + timedelta(days=2)):
                act(Action.EVALUATE, portal_user(), within_hours=40, satisfaction=satisfaction,
                    resolved=result in {"resolved", "explained"} and satisfaction != "unsatisfied")
                if satisfaction == "unsatisfied" and rng.random() < 0.5:
                    act(Action.REDO, supervisor, note="群众不满意，请重新办理")
                return
        act(
            Action.CALLBACK,
            operator,
            status="reached" if reached else "unreachable",
            satisfaction=satisfaction if reached else "",
            resolved=(result in {"resolved", "explained"} and satisfaction != "unsatisfied") if reached else None,
            note="已电话回访",
        )
        if reached and satisfaction == "unsatisfied" and rng.random() < 0.5:
            act(Action.REDO, supervisor, note="群众不满意，请重新办理")
    except _Now:
        return


def training_set() -> tuple[list[str], list[str]]:
    """The demo's own texts (written for jiesu), each in every street's places, labelled by leaf category."""
    texts, labels = [], []
    for category_code, _, _, text in data.TEXTS:
        for (_, street, _), places in zip(data.STREETS, data.PLACES.values(), strict=True):
            for place in places[:2]:
                texts.append(text.format(place=street + place))
                labels.append(category_code)
    return texts, labels


def train_router():
    texts, labels = training_set()
    return routing.train(texts, labels, name="演示数据（江州市明湖区）", source="jiesu.demo.data")


DEMO_ENTERPRISE = ("91350100M000100Y43", "江州明湖示范科技有限公司")


def seed_enterprises(count: int = 200, seed: int = 4754) -> list[tuple[str, str]]:
    """About 200 fictional enterprises of the district with contacts and qualifications; (code, name) of each."""
    from jiesu.core.validators import USCC_ALPHABET, uscc_check_char
    from jiesu.enterprise.models import Contact, Enterprise, Qualification, Scale

    rng = random.Random(seed)
    streets = list(Region.objects.filter(level=Region.Level.STREET).order_by("code"))
    qualifications = {q.code: q for q in Qualification.objects.all()}
    scales = [Scale.MICRO] * 50 + [Scale.SMALL] * 30 + [Scale.MEDIUM] * 15 + [Scale.LARGE] * 5
    staff_of = {Scale.MICRO: (3, 9), Scale.SMALL: (10, 99), Scale.MEDIUM: (100, 999), Scale.LARGE: (1000, 3000)}
    trades = [t for t in data.FIRM_TRADES for _ in range(t[2])]
    made, names = [], set()
    while len(made) < count:
        word, (trade, division, _) = rng.choice(data.FIRM_WORDS), rng.choice(trades)
        name = f"江州{word}{trade}有限公司" if rng.random() < 0.5 else f"明湖{word}{trade}有限公司"
        if name in names:
            continue
        names.add(name)
        first17 = "91" + data.DISTRICT[0] + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        scale = rng.choice(scales)
        enterprise = Enterprise(
            credit_code=first17 + uscc_check_char(first17), name=name, industry=division, scale=scale,
            region=rng.choice(streets), address=f"江州市明湖区{rng.choice(data.FIRM_WORDS)}路{rng.randint(1, 300)}号",
            founded_on=clock.local_day(clock.now()) - timedelta(days=rng.randint(200, 30 * 365)),
            employees=rng.randint(*staff_of[scale]))
        made.append(enterprise)
    # The first is the demo's own enterprise (the one the tests' and the demo's 涉企 tickets name).
    made[0].credit_code, made[0].name, made[0].industry, made[0].scale = *DEMO_ENTERPRISE, "65", Scale.SMALL
    Enterprise.objects.bulk_create(made)
    name, phone, title = data.DEMO_CONTACT  # logs in at /qiye/ with the demo password
    Contact.objects.create(enterprise=Enterprise.objects.get(credit_code=DEMO_ENTERPRISE[0]), name=name, phone=phone,
                           title=title)
    for enterprise in Enterprise.objects.all():
        quals = []
        if enterprise.industry in ("65", "39", "34", "27") and rng.random() < 0.4:
            quals += [qualifications["high_tech"], qualifications["tech_sme"]]
        if enterprise.scale in (Scale.SMALL, Scale.MEDIUM) and rng.random() < 0.15:
            quals.append(qualifications["srdi_sme"])
        if enterprise.scale in (Scale.MEDIUM, Scale.LARGE):
            quals.append(qualifications["above_scale"])
        enterprise.qualifications.set(quals)
        Contact.objects.create(enterprise=enterprise, name=rng.choice(data.CONTACT_NAMES),
                               phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                               title=rng.choice(data.CONTACT_TITLES))
    return list(Enterprise.objects.order_by("credit_code").values_list("credit_code", "name"))


def seed_direct(people: dict, seed: int = 2020) -> int:
    """政企直通车: the demo enterprise's account, requests enterprises filed there (answered, rated or still open),
    and the 帮办员 following the demo enterprise and two others, with their visits."""
    from jiesu.enterprise import accounts as enterprise_accounts
    from jiesu.enterprise import direct, helpers
    from jiesu.enterprise.models import Contact, HelperAssignment, Visit

    rng = random.Random(seed)
    now = clock.now()
    staff = people["accounts"]
    name, phone, _ = data.DEMO_CONTACT
    contact = Contact.objects.select_related("enterprise").get(enterprise__credit_code=DEMO_ENTERPRISE[0], phone=phone)
    user = User.objects.create(username=enterprise_accounts.username(DEMO_ENTERPRISE[0], phone), first_name=name)
    user.set_password(data.PASSWORD)
    user.save()
    contact.user = user
    contact.save(update_fields=["user"])
    others = list(Contact.objects.select_related("enterprise").exclude(enterprise=contact.enterprise)
                  .order_by("enterprise__credit_code")[:40])
    helper, supervisor = staff[Role.HELPER], staff[Role.SUPERVISOR]
    with clock.frozen(now - timedelta(days=30)):
        helpers.assign(supervisor, DEMO_ENTERPRISE[0], helper.username)
        for other in others[:2]:
            helpers.assign(supervisor, other.enterprise.credit_code, helper.username)
    made = 0
    for i, (category, kind, text) in enumerate(data.DIRECT_TEXTS):
        by = contact if i % 2 == 0 else rng.choice(others[:2] if i % 4 == 1 else others)
        at = now - timedelta(days=20 - 2.3 * i, hours=rng.uniform(1, 5))
        with clock.frozen(at):
            ticket = direct.file_request(by, {"kind": kind, "category": category, "content": text})
        made += 1
        unit = Category.objects.get(code=category).default_department
        steps = [(Action.DISPATCH, staff[Role.DISPATCHER], {"department": unit.code}),
                 (Action.SIGN, people["handlers"][unit.pk], {}),
                 (Action.REPLY, people["handlers"][unit.pk],
                  {"reply_text": "经核实，已协调相关单位办理，具体情况已电话告知企业联系人。", "result": "resolved"}),
                 (Action.EVALUATE, direct.desk_user(), {"satisfaction": "satisfied", "resolved": True})]
        # The older, the further; the one of a week ago answered and waiting for the enterprise's 网上评价.
        for action, actor, payload in steps[:(4, 4, 3, 3, 2, 2, 3, 1)[i % 8]]:
            at += timedelta(hours=rng.uniform(1, 30))
            if at >= now:
                break
            with clock.frozen(at):
                services.perform(ticket.number, action, actor=actor, **payload)
    assignment = HelperAssignment.objects.filter(enterprise__credit_code=DEMO_ENTERPRISE[0]).first()
    for days, form, note in ((18, Visit.Form.VISIT, "上门走访，了解高新技术企业奖励兑现和货款拖欠情况，企业提供了认定证书和合同。"),
                             (9, Visit.Form.PHONE, "电话回访，企业反映奖励已到账，货款仍在协调，约定下周再联系。")):
        Visit.objects.create(enterprise=assignment.enterprise, helper=helper, form=form, note=note,
                             visited_on=clock.local_day(now) - timedelta(days=days),
                             created_at=now - timedelta(days=days))
    return made


def seed_policies(people: dict, seed: int = 2026) -> int:
    """The demo's 10 涉企政策, published, most pushed; some read, applied and granted."""
    from jiesu.enterprise import policies
    from jiesu.enterprise.models import Enterprise, PolicyPush

    rng = random.Random(seed)
    centre = people["accounts"][Role.SUPERVISOR]
    today = clock.local_day(clock.now())
    for i, (unit, title, number, form, amount, automatic, summary, conditions) in enumerate(data.POLICIES):
        conditions = dict(conditions)
        within = conditions.pop("founded_within_days", None)
        if within:
            conditions["founded_after"] = (today - timedelta(days=within)).isoformat()
        with clock.frozen(clock.now() - timedelta(days=40 - 3 * i)):
            policy = policies.save(centre, {
                "department": unit, "title": title, "document_number": number, "benefit_form": form,
                "benefit_amount": "" if amount is None else str(amount), "automatic": "on" if automatic else "",
                "summary": summary, "valid_from": (today - timedelta(days=60)).isoformat(),
                "valid_until": (today + timedelta(days=300)).isoformat(),
                "steps": "" if automatic else "登录区政务服务网“惠企政策”专区在线申报，或到区政务服务中心综合窗口办理。",
                **conditions})
            policies.submit(centre, policy.code)
            policies.review(centre, policy.code, approve=True, note="演示数据")
            if i < 8:
                policies.push(centre, policy.code)
    for record in PolicyPush.objects.select_related("policy").order_by("pk"):
        r = rng.random()
        fields = {}
        if r < 0.6:
            fields["read_at"] = record.pushed_at + timedelta(hours=rng.uniform(1, 72))
            if not record.policy.automatic and r < 0.3:
                fields["applied_at"] = fields["read_at"] + timedelta(days=rng.uniform(1, 5))
            if r < (0.4 if record.policy.automatic else 0.15):
                fields["granted_at"] = fields["read_at"] + timedelta(days=rng.uniform(6, 12))
        if fields:
            PolicyPush.objects.filter(pk=record.pk).update(**fields)
    return Enterprise.objects.count()


def seed_evaluations(people: dict, seed: int = 2027) -> None:
    """百企评机关: one finished campaign (the quarter before last: a sample of 80 enterprises, most of them
    answered) and one open campaign on the last quarter, to which every enterprise
    with a contact is invited (so the demo enterprise can rate). Through the services, at the moments they
    would have happened."""
    from jiesu.enterprise import evaluations
    from jiesu.enterprise.models import Contact, EvaluationInvite

    rng = random.Random(seed)
    centre = people["accounts"][Role.SUPERVISOR]
    today = clock.today()
    quarters = []
    end = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)  # the last quarter's end
    for _ in range(2):
        start = date(end.year, end.month - 2, 1)
        quarters.append((start, end))
        end = start - timedelta(days=1)
    latest, finished = quarters  # the quarter before last ended three months ago or more: its campaign is over
    quality = {code: rng.uniform(3.0, 4.7) for code in data.EVALUATION_AGENCIES}
    campaigns = [(finished, "sample", 80, finished[1] + timedelta(days=3), finished[1] + timedelta(days=28)),
                 (latest, "all", None, max(latest[1] + timedelta(days=1), today - timedelta(days=2)),
                  today + timedelta(days=14))]
    for (start, end), sampling, size, opened, closes in campaigns:
        quarter = (start.month - 1) // 3 + 1
        with clock.frozen(clock.start_of_day(opened) + timedelta(hours=9)):
            evaluation = evaluations.save(centre, {
                "title": f"{start.year}年第{quarter}季度百企评机关", "period_start": start.isoformat(),
                "period_end": end.isoformat(), "closes_on": closes.isoformat(), "sampling": sampling,
                "sample_size": size or "", "agencies": data.EVALUATION_AGENCIES})
            evaluations.open_campaign(centre, evaluation.pk)
        finished_one = sampling == "sample"
        invites = list(EvaluationInvite.objects.filter(evaluation=evaluation).select_related("enterprise")
                       .order_by("pk"))
        answering = [i for i in invites if rng.random() < (0.78 if finished_one else 0.3)
                     and not Contact.objects.filter(enterprise=i.enterprise, phone=data.DEMO_CONTACT[1]).exists()]
        for n, invite in enumerate(answering):
            moment = clock.start_of_day(opened) + timedelta(days=1 + n % 10, hours=rng.uniform(8, 20))
            with clock.frozen(min(moment, clock.now())):
                _, rows = evaluations.form_for(invite.enterprise, evaluation.pk)
                form = {}
                for row in rows:
                    if not row.dealt and rng.random() > 0.35:
                        continue  # most enterprises rate only the units they dealt with
                    base = quality[row.department.code]
                    for name, _ in evaluations.DIMENSIONS:
                        form[f"a{row.department.pk}_{name}"] = str(min(5, max(1, round(rng.gauss(base, 0.7)))))
                    mood = "good" if base >= 4.2 else "middling" if base >= 3.5 else "poor"
                    if rng.random() < 0.3:
                        form[f"a{row.department.pk}_comment"] = rng.choice(data.EVALUATION_COMMENTS[mood])
                if form:
                    evaluations.rate(invite.enterprise, evaluation.pk, form)
        if finished_one:
            with clock.frozen(clock.start_of_day(closes + timedelta(days=1)) + timedelta(hours=10)):
                evaluations.close_campaign(centre, evaluation.pk)


def seed_proposals(people: dict) -> None:
    """人大代表建议 and 政协委员提案 of this year's sessions, at every stage: registered and handed over 70 days
    ago, signed, 沟通 with the deputy, answered with a 答复函, evaluated (one 不满意 and back for 重办)."""
    from jiesu.channels import proposals
    from jiesu.tickets import services as tickets

    liaison = people["accounts"][Role.LIAISON]
    handlers = people["handlers"]
    start = clock.now() - timedelta(days=70)
    for i, (body, number, proposer, delegation, co_signers, subject, text, lead, joint, stage, answer_class) in \
            enumerate(data.PROPOSALS):
        with clock.frozen(start + timedelta(hours=2 * i)):
            proposal = proposals.register(liaison, {
                "body": body, "session": data.PROPOSAL_SESSIONS[body], "number": str(number),
                "year": str(clock.today().year), "proposer": proposer, "proposer_phone": f"1390000{number:04d}",
                "delegation": delegation, "co_signers": co_signers, "subject": subject, "content": text,
                "lead": lead, "joint": joint})
        if stage == "new":
            continue
        ticket = proposal.ticket
        handler = handlers[ticket.department_id]
        with clock.frozen(start + timedelta(days=1, hours=i)):
            tickets.perform(ticket.number, Action.SIGN, actor=handler)
        if stage == "signed":
            continue
        with clock.frozen(start + timedelta(days=12 + i)):
            proposals.consult(handler, ticket.number, {
                "held_on": clock.today().isoformat(), "form": "meeting" if i % 3 else "phone",
                "note": "向代表委员介绍办理思路和工作计划，听取意见建议。"})
        if stage == "consulted":
            continue
        letter = {"document_number": f"{ticket.department.name[1:3]}函〔{clock.today().year}〕{number}号",
                  "signer": "分管负责人", "answer_class": answer_class, "contact": "办公室 0591-12345678",
                  "text": "收到建议后，我单位高度重视，专题研究并会同相关单位实地调研。\n"
                          "目前已制定工作方案，明确时间表和责任分工，将按计划推进并及时向您通报进展。"}
        with clock.frozen(start + timedelta(days=40 + i)):
            proposals.reply(handler, ticket.number, letter)
        if stage == "replied":
            continue
        with clock.frozen(start + timedelta(days=45 + i)):
            proposals.evaluate(liaison, ticket.number, {
                "satisfaction": "unsatisfied" if stage == "redo" else "satisfied",
                "note": "担保费率降幅不够，希望进一步细化措施" if stage == "redo" else "",
                "redo": "1" if stage == "redo" else ""})


def seed_police(people: dict) -> None:
    """110 ↔ 12345 联动: 110's 非警务 transfers at every stage (one to sign now, one 退回110), and 警情 the centre
    handed to 110 with 110's answers. Our messages to 110 wait in the outbox (no 110 is configured in the demo)."""
    from jiesu.channels import police
    from jiesu.tickets import services as tickets

    accounts, handlers = people["accounts"], people["handlers"]
    system, dispatcher, operator = accounts[Role.POLICE110], accounts[Role.DISPATCHER], accounts[Role.OPERATOR]
    now = clock.now()
    unit = Department.objects.get(code="MHCGW")
    for i, (hours, category, kind, urgency, text, address, stage) in enumerate(data.POLICE_IN):
        at = now - timedelta(hours=hours)
        with clock.frozen(at):
            link = police.receive(system, {
                "event_number": f"110{clock.today():%Y%m%d}{i + 1:04d}", "content": text, "category": category,
                "kind": kind, "urgency": urgency, "address": address, "caller_name": data.CALLERS[i],
                "caller_phone": f"1380011{i:04d}", "reported_at": (at - timedelta(minutes=6)).isoformat()}).link
        number = link.ticket.number
        if stage == "new":
            continue
        if stage == "returned":
            with clock.frozen(at + timedelta(minutes=2)):
                tickets.perform(number, Action.TRANSFER_110, actor=dispatcher, reason="持刀威胁他人，属于警情，请110处置")
            continue
        with clock.frozen(at + timedelta(minutes=3 + i)):
            tickets.perform(number, Action.ACCEPT_110, actor=dispatcher)
            tickets.perform(number, Action.DISPATCH, actor=dispatcher, department=unit.code)
        if stage == "accepted":
            continue
        with clock.frozen(at + timedelta(hours=2)):
            tickets.perform(number, Action.SIGN, actor=handlers[unit.pk])
            tickets.perform(number, Action.CONTACT, actor=handlers[unit.pk], method="phone", note="已电话联系报警人")
            tickets.perform(number, Action.REPLY, actor=handlers[unit.pk], result="resolved",
                            reply_text="已联系相关单位现场处置，问题已解决，并向报警人说明情况。")
        if stage == "closed":
            with clock.frozen(at + timedelta(hours=30)):
                tickets.perform(number, Action.CALLBACK, actor=operator, status="reached", satisfaction="satisfied",
                                resolved=True)
    for i, (hours, text, address, reason, stage) in enumerate(data.POLICE_OUT):
        at = now - timedelta(hours=hours)
        with clock.frozen(at):
            ticket = tickets.create_ticket(actor=operator, data={
                "content": text, "address": address, "caller_name": data.CALLERS[-1 - i],
                "caller_phone": f"1390022{i:04d}", "urgency": "urgent"})
        with clock.frozen(at + timedelta(minutes=4)):
            tickets.perform(ticket.number, Action.TRANSFER_110, actor=dispatcher, reason=reason)
        if stage == "waiting":
            continue
        receipt = f"JJ{clock.local_day(at):%Y%m%d}{i + 1:03d}"
        with clock.frozen(at + timedelta(minutes=7)):
            if stage == "returned":
                police.peer_message(system, {"id": f"demo-{i}-r", "type": "return", "ticket": ticket.number,
                                             "text": "经核实为住户正常使用的燃气罐，不属于警情，请12345协调消防和物业检查。"})
                continue
            police.peer_message(system, {"id": f"demo-{i}-a", "type": "ack", "ticket": ticket.number,
                                         "receipt": receipt})
        if stage == "result":
            with clock.frozen(at + timedelta(hours=1)):
                police.peer_message(system, {"id": f"demo-{i}-x", "type": "result", "ticket": ticket.number,
                                             "text": "民警到场核实处置，已对当事人批评教育，并通报社区持续关注。"})


def _month_back(months: int):
    day = clock.today().replace(day=1)
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
    return f"{day:%Y-%m}"


def seed_wages(people: dict) -> None:
    """欠薪线索 at every stage (data.WAGES): registered with their 欠薪信息 at the 来电登记, handled by the 人社局,
    the 处理结果 recorded before the answer, the worker called back; and one from the website to be completed."""
    from jiesu.channels import wages
    from jiesu.core.validators import uscc_check_char
    from jiesu.tickets import services as tickets

    accounts, handlers = people["accounts"], people["handlers"]
    operator, dispatcher = accounts[Role.OPERATOR], accounts[Role.DISPATCHER]
    now = clock.now()
    unit = Department.objects.get(code="MHRSJ")
    streets = list(Region.objects.filter(level=Region.Level.STREET).order_by("code"))
    for i, (hours, employer, project, owed, workers, start, end, text, stage, recovered, paid) in enumerate(data.WAGES):
        at = now - timedelta(hours=hours)
        region = streets[i % len(streets)]
        payload = {"channel": "phone", "kind": "help", "category": data.WAGE_CATEGORY, "region": region.code,
                   "content": text.format(place=region.name), "caller_name": data.CALLERS[i + 3],
                   "caller_phone": f"1370033{i:04d}"}
        if stage == "web":
            payload["channel"] = "web"
            with clock.frozen(at):
                tickets.create_ticket(actor=portal_user(), data=payload)
            continue
        credit = ""
        if "有限公司" in employer:
            first17 = "91" + data.DISTRICT[0] + f"MA{i:07d}"
            credit = first17 + uscc_check_char(first17)
        payload.update(wage_employer=employer, wage_credit_code=credit, wage_project=project, wage_amount=owed,
                       wage_workers=str(workers), wage_from=_month_back(start), wage_to=_month_back(end))
        with clock.frozen(at):
            number = tickets.create_ticket(actor=operator, data=payload).number
        if stage == "new":
            continue
        if Ticket.objects.get(number=number).state == State.PENDING_DISPATCH:  # else 智能派单 sent it already
            with clock.frozen(at + timedelta(minutes=20)):
                tickets.perform(number, Action.DISPATCH, actor=dispatcher, department=unit.code)
        handler = handlers[Ticket.objects.get(number=number).department_id]
        with clock.frozen(at + timedelta(hours=1)):
            tickets.perform(number, Action.SIGN, actor=handler)
            tickets.perform(number, Action.CONTACT, actor=handler, method="phone",
                            note="已联系劳动者核实欠薪情况，告知劳动保障监察立案流程")
        if stage == "signed":
            continue
        with clock.frozen(at + timedelta(hours=40)):
            wages.settle(handler, number, {
                "recovered_amount": recovered, "workers_paid": str(paid),
                "outcome_note": "经劳动保障监察约谈用人单位，已督促足额支付" if paid == workers
                else "用人单位已支付部分工资，余款承诺月底前付清，监察大队跟踪督办"})
            tickets.perform(number, Action.REPLY, actor=handler, result="resolved" if paid == workers else "partial",
                            reply_text=f"经核查，{employer}拖欠工资属实。我局已约谈用人单位，追回工资{recovered}元，"
                                       f"已结清{paid}人。")
        if stage == "settled":
            continue
        with clock.frozen(at + timedelta(hours=50)):
            tickets.perform(number, Action.CALLBACK, actor=operator, status="reached",
                            satisfaction="satisfied" if paid == workers else "basic", resolved=paid == workers)


def seed_petitions(people: dict) -> None:
    """信访代办 (data.PETITIONS): registered by the 信访办 with the 代办员 老赵, handed to units, visited, answered,
    concluded with 事了 and 心解 apart, and followed up — or with the 跟踪回访 overdue."""
    from jiesu.channels import petitions

    accounts, handlers = people["accounts"], people["handlers"]
    office, agent = accounts[Role.PETITION], accounts[Role.PETITION_AGENT]
    now = clock.now()
    streets = list(Region.objects.filter(level=Region.Level.STREET).order_by("code"))
    for i, (days, form, kind, text, unit_code, stage, settled, accepted) in enumerate(data.PETITIONS):
        at = now - timedelta(days=days, hours=3)
        region = streets[(i + 1) % len(streets)]
        with clock.frozen(at):
            number = petitions.register(office, {
                "form": form, "kind": kind, "content": text, "caller_name": data.CALLERS[-1 - i],
                "caller_phone": f"1360044{i:04d}", "region": region.code, "agent": agent.username,
                "case_number": f"XF{clock.local_day(at):%Y}{i + 1:05d}",
                "department": "" if stage == "new" else unit_code}).ticket.number
        if stage == "new":
            continue
        unit = Department.objects.get(code=unit_code)
        handler = handlers[unit.pk]
        with clock.frozen(at + timedelta(hours=2)):
            services.perform(number, Action.SIGN, actor=handler)
        with clock.frozen(at + timedelta(days=1)):
            petitions.log_visit(agent, number, {"kind": "visit", "held_on": f"{clock.today():%Y-%m-%d}",
                                                "note": "上门了解诉求和家庭情况，告知办理程序，信访人同意由代办员全程跟进。"})
            services.perform(number, Action.CONTACT, actor=handler, method="visit",
                             note="会同代办员入户核实情况")
        if stage == "visiting":
            continue
        with clock.frozen(at + timedelta(days=4)):
            petitions.log_visit(agent, number, {"kind": "accompany", "held_on": f"{clock.today():%Y-%m-%d}",
                                                "note": "陪同信访人到承办单位当面沟通，承办单位说明了处理方案。"})
            services.perform(number, Action.REPLY, actor=handler, result="resolved" if settled == "yes" else "partial",
                             reply_text="经核查，已按政策研究处理意见，并与信访人当面沟通解释。")
        if stage == "answered":
            continue
        with clock.frozen(at + timedelta(days=5)):
            petitions.conclude(agent, number, {
                "settled": settled, "accepted": accepted,
                "settled_note": "承办单位已落实处理意见" if settled == "yes" else "已解决主要诉求，剩余部分按政策逐步落实",
                "accepted_note": "信访人表示认可，不再上访" if accepted == "yes" else "信访人基本认可，仍有顾虑，继续关注"})
        if stage == "followed_up":
            with clock.frozen(at + timedelta(days=36)):
                petitions.log_visit(agent, number, {"kind": "follow_up", "held_on": f"{clock.today():%Y-%m-%d}",
                                                    "note": "跟踪回访：处理意见已落实，信访人生活正常，无新的诉求。"})


def seed(*, tickets: int = 300) -> dict:
    now = clock.now()
    sla.import_holidays(now.year - 1, now.year)
    people = seed_directory()
    seed_enterprises()
    train_router()
    made = seed_tickets(people, count=tickets)
    made += seed_repeats(people)
    made += seed_direct(people)
    seed_policies(people)
    seed_evaluations(people)
    seed_proposals(people)
    seed_police(people)
    seed_wages(people)
    seed_petitions(people)
    seed_knowledge(people)
    sla.sweep(now)  # record the 临期/超期/催办 the demo's history has run into
    hotspots.refresh()
    hotspots.detect_now()
    key = seed_open311()
    return {"tickets": made, "departments": Department.objects.count(), "categories": Category.objects.count(),
            "open311_key": key}


def seed_open311() -> str:
    """A partner app with an api_key, and one service that asks extra questions (路灯不亮)."""
    from jiesu.open311 import services as open311
    from jiesu.open311.models import ServiceAttribute

    lamp = Category.objects.get(code="020201")
    ServiceAttribute.objects.create(category=lamp, code="poles", description="不亮的路灯数量（盏）", datatype="number",
                                    required=True, order=1)
    ServiceAttribute.objects.create(category=lamp, code="since", description="从何时开始不亮", order=2,
                                    datatype="singlevaluelist", values=[{"key": "today", "name": "今天"},
                                                                        {"key": "days", "name": "两三天"},
                                                                        {"key": "week", "name": "一周以上"}])
    _, key = open311.add_partner(data.OPEN311_PARTNER)
    return key


def summary() -> dict:
    return {
        "tickets": Ticket.objects.count(),
        "departments": Department.objects.count(),
        "categories": Category.objects.count(),
    }
