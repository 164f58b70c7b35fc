"""涉企政策: the library's review, matching (a table of conditions → the enterprises expected; the database rule and
the in-memory rule agree), pushes with their progress, and 政策问答."""

from datetime import date

import pytest
from django.test import Client

from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.directory.tests.factories import RegionFactory
from jiesu.enterprise import policies
from jiesu.enterprise.models import Contact, Enterprise, Policy, PolicyPush, Qualification
from jiesu.enterprise.tests.test_registry import code
from jiesu.notifications.models import Delivery


@pytest.fixture
def firms(world):
    """Five enterprises that differ in one thing at a time."""
    other_street = RegionFactory(code="110002", name="另一街道", parent=world.region)
    high_tech = Qualification.objects.get(code="high_tech")
    srdi = Qualification.objects.get(code="srdi_sme")

    def make(n, name, division, scale, region, founded, employees, quals=()):
        e = Enterprise.objects.create(credit_code=code(f"91350100M0000{n:03d}1"), name=name, industry=division,
                                      scale=scale, region=region, founded_on=founded, employees=employees)
        e.qualifications.set(quals)
        Contact.objects.create(enterprise=e, name="联系人", phone=f"1380000{n:04d}")
        return e

    return {
        "soft": make(1, "软件小企", "65", "small", world.region, date(2018, 5, 1), 40, [high_tech, srdi]),
        "chip": make(2, "芯片中企", "39", "medium", other_street, date(2010, 1, 1), 300, [high_tech]),
        "shop": make(3, "零售微企", "52", "micro", world.region, date(2024, 3, 1), 5),
        "food": make(4, "食品大企", "14", "large", other_street, date(2001, 1, 1), 1500),
        "new": make(5, "新办软件", "65", "micro", world.region, None, None),
    }


def _policy(world, **conditions):
    data = {"title": "测试政策", "summary": "要点", "benefit_form": "subsidy", **conditions}
    policy = policies.save(world.supervisor, data | {"department": "A"})
    policies.submit(world.supervisor, policy.code)
    return policies.review(world.supervisor, policy.code, approve=True)


@pytest.mark.parametrize("conditions, expected", [
    ({}, {"soft", "chip", "shop", "food", "new"}),
    ({"industries": ["I"]}, {"soft", "new"}),  # a section covers its divisions
    ({"industries": ["39", "14"]}, {"chip", "food"}),
    ({"scales": ["small", "micro"]}, {"soft", "shop", "new"}),
    ({"regions": ["110002"]}, {"chip", "food"}),
    ({"regions": ["110"]}, {"soft", "chip", "shop", "food", "new"}),  # a region includes those below it
    ({"qualifications": ["high_tech"]}, {"soft", "chip"}),
    ({"qualifications": ["high_tech", "srdi_sme"]}, {"soft"}),  # all of them
    ({"founded_after": "2015-01-01"}, {"soft", "shop"}),  # an unknown date meets no date condition
    ({"founded_before": "2015-01-01"}, {"chip", "food"}),
    ({"min_employees": "10", "max_employees": "500"}, {"soft", "chip"}),
    ({"industries": ["I", "C"], "scales": ["small", "medium"], "qualifications": ["high_tech"]}, {"soft", "chip"}),
])
def test_matching_finds_exactly_the_enterprises_that_meet_every_condition(world, firms, conditions, expected):
    policy = _policy(world, **conditions)
    by_name = {e.pk: name for name, e in firms.items()}
    assert {by_name[e.pk] for e in policies.matching_enterprises(policy)} == expected
    # The same rule in memory, enterprise by enterprise.
    assert {name for name, e in firms.items() if policy in policies.eligible(e)} == expected


def test_only_published_policies_in_force_are_live(world, firms):
    draft = policies.save(world.handler_a, {"title": "草稿", "summary": "要点", "benefit_form": "tax"})
    assert draft.department == world.dept_a and draft.status == "draft"
    assert not policies.live().exists()
    with pytest.raises(PermissionDenied):
        policies.save(world.handler_b, {"title": "改", "summary": "要点", "benefit_form": "tax"}, draft.code)
    with pytest.raises(PermissionDenied):
        policies.review(world.handler_a, draft.code, approve=True)
    policies.submit(world.handler_a, draft.code)
    with pytest.raises(ValidationFailed):
        policies.review(world.supervisor, draft.code, approve=False)  # a reason is needed
    policies.review(world.supervisor, draft.code, approve=False, note="请补充申报流程")
    policies.submit(world.handler_a, draft.code)
    policies.review(world.supervisor, draft.code, approve=True)
    assert list(policies.live()) == [Policy.objects.get(code=draft.code)]
    expired = _policy(world, valid_until="2020-12-31")
    assert expired not in policies.live()
    edited = policies.save(world.handler_a, {"title": "草稿（修订）", "summary": "要点", "benefit_form": "tax"},
                           draft.code)
    assert edited.status == "pending" and not policies.live().exists()  # edited: reviewed again


def test_bad_conditions_are_named(world):
    with pytest.raises(ValidationFailed) as bad:
        policies.save(world.supervisor, {"title": "", "summary": "", "benefit_form": "cash", "industries": ["ZZ"],
                                         "scales": ["huge"], "regions": ["999"], "valid_from": "2026-13-01",
                                         "min_employees": "-3", "link": "javascript:alert(1)"})
    assert set(bad.value.fields) >= {"title", "summary", "benefit_form", "industries", "scales", "regions",
                                     "valid_from", "min_employees", "link"}
    with pytest.raises(ValidationFailed) as bad:
        policies.save(world.supervisor, {"title": "t", "summary": "s", "benefit_form": "tax", "benefit_amount": "1e3",
                                         "min_employees": "100", "max_employees": "10", "link": "http://a.example/a b",
                                         "founded_after": "2025-01-01", "founded_before": "2020-01-01"})
    assert set(bad.value.fields) == {"benefit_amount", "max_employees", "link", "founded_before"}


def test_drafts_are_read_by_their_unit_and_the_centre_only(world):
    draft = policies.save(world.handler_a, {"title": "草稿", "summary": "要点", "benefit_form": "tax"})
    assert policies.visible(world.handler_a).filter(pk=draft.pk).exists()
    assert policies.visible(world.supervisor).filter(pk=draft.pk).exists()
    assert not policies.visible(world.handler_b).filter(pk=draft.pk).exists()
    assert not policies.visible(world.operator).filter(pk=draft.pk).exists()
    other = Client()
    other.force_login(world.handler_b)
    assert other.get(f"/policies/{draft.code}/").status_code == 404
    policies.submit(world.handler_a, draft.code)
    policies.review(world.supervisor, draft.code, approve=True)
    assert other.get(f"/policies/{draft.code}/").status_code == 200
    assert other.get(f"/policies/{draft.code}/edit/").status_code == 403  # refused when opened, not after typing


def test_a_push_reaches_each_matching_enterprise_once_and_its_progress_is_counted(world, firms):
    policy = _policy(world, industries=["I"], automatic="")
    assert policies.push(world.supervisor, policy.code) == 2
    assert policies.push(world.supervisor, policy.code) == 0  # nothing new
    assert Delivery.objects.filter(template="policy_push").count() == 2  # one SMS per contact
    late = Enterprise.objects.create(credit_code=code("91350100M00000991"), name="后来的软件", industry="64",
                                     scale="micro")
    assert policies.push(world.supervisor, policy.code) == 1 and PolicyPush.objects.filter(enterprise=late).exists()
    policies.opened(firms["soft"], policy.code)
    policies.applied(firms["soft"], policy.code)
    policies.granted(world.supervisor, policy.code, firms["soft"].credit_code)
    policies.opened(firms["new"], policy.code)
    assert policies.figures(policy) == {"matching": 3, "pushed": 3, "read": 2, "applied": 1, "granted": 1}
    with pytest.raises(PermissionDenied):
        policies.push(world.handler_b, policy.code)  # another unit's policy


def test_applications_only_where_one_is_needed_and_allowed_and_drafts_are_never_pushed(world, firms):
    automatic = _policy(world, automatic="on")
    with pytest.raises(Conflict):
        policies.applied(firms["soft"], automatic.code)
    narrow = _policy(world, industries=["C"])  # none of the software firm's business
    with pytest.raises(Conflict):
        policies.applied(firms["soft"], narrow.code)
    draft = policies.save(world.supervisor, {"title": "未发布", "summary": "要点", "benefit_form": "tax",
                                             "department": "A"})
    with pytest.raises(Conflict):
        policies.push(world.supervisor, draft.code)


def test_a_question_finds_the_policy_that_answers_it(world):
    _policy(world, title="高新技术企业认定奖励", summary="首次认定为国家高新技术企业的，给予一次性奖励20万元。")
    _policy(world, title="吸纳高校毕业生就业社会保险补贴", summary="小微企业招用毕业年度高校毕业生，按规定给予社会保险补贴。")
    _policy(world, title="政府性融资担保贷款贴息", summary="小微企业通过政府性融资担保机构获得贷款的，给予担保费补贴。")
    found = policies.ask("我们公司招了几个应届大学毕业生，社保能补贴吗？")
    assert found and found[0][0].title == "吸纳高校毕业生就业社会保险补贴"
    assert policies.ask("贷款担保费有补贴吗")[0][0].title == "政府性融资担保贷款贴息"
    assert policies.ask("的 了 吗") == []
    # The knowledge base's synonym table stands one word for another, as in its own search.
    from jiesu.knowledge.models import SynonymGroup

    SynonymGroup.objects.create(words="高校毕业生,大学生")
    SynonymGroup.objects.create(words="社保,社会保险")
    assert policies.ask("招了大学生，社保有补贴吗")[0][0].title == "吸纳高校毕业生就业社会保险补贴"


def test_the_pages_from_the_issuing_unit_to_the_enterprise(world, firms):
    unit = Client()
    unit.force_login(world.handler_a)
    form = {"title": "软件企业研发费用补助", "summary": "软件和信息技术服务业小微企业的研发投入，按比例给予补助。",
            "benefit_form": "subsidy", "benefit_amount": "50", "industries": ["I"], "scales": ["small", "micro"],
            "steps": "登录区政务服务网申报。"}
    bad = unit.post("/policies/new/", {**form, "title": ""})
    assert bad.status_code == 400 and "请填写政策名称" in bad.content.decode()
    made = unit.post("/policies/new/", form)
    policy = Policy.objects.get()
    assert made.url == f"/policies/{policy.code}/" and policy.department == world.dept_a
    unit.post(f"/policies/{policy.code}/submit/")
    centre = Client()
    centre.force_login(world.supervisor)
    centre.post(f"/policies/{policy.code}/approve/")
    page = centre.get(f"/policies/{policy.code}/").content.decode()
    assert "已发布" in page and "行业：I 信息传输、软件和信息技术服务业" in page
    unit.post(f"/policies/{policy.code}/push/")
    assert policies.figures(policy)["pushed"] == 2
    other = Client()
    other.force_login(world.handler_b)
    assert other.post(f"/policies/{policy.code}/edit/", form).status_code == 403  # not another unit's
    # The enterprise: the policy among its own, marked new; opening it reads it; it applies.
    from django.contrib.auth import get_user_model

    from jiesu.enterprise import accounts

    contact = Contact.objects.get(enterprise=firms["soft"])
    contact.user = get_user_model().objects.create(username=accounts.username(firms["soft"].credit_code, contact.phone))
    contact.save()
    firm = Client()
    firm.force_login(contact.user)
    listing = firm.get("/qiye/policies/").content.decode()
    assert "软件企业研发费用补助" in listing and "新推送" in listing
    detail = firm.get(f"/qiye/policies/{policy.code}/").content.decode()
    assert "本企业符合申报条件" in detail and "我已申报" in detail
    assert "已申报" in firm.post(f"/qiye/policies/{policy.code}/").content.decode()
    assert policies.figures(policy) == {"matching": 2, "pushed": 2, "read": 1, "applied": 1, "granted": 0}
    asked = firm.get("/qiye/policies/?q=软件研发有补助吗").content.decode()
    assert "与“软件研发有补助吗”相关的政策" in asked and f"/qiye/policies/{policy.code}/" in asked
    assert firm.get("/policies/").url == "/qiye/"  # not the back office's
