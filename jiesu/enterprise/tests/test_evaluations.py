"""百企评机关: the stratified draw, the rating (once, all four dimensions or none, while open), anonymity (no
enterprise on a rating; an agency sees only its own line, after closing, from JIESU_EVALUATION_MIN_RATERS raters on), the ranking
and the response rate, and the optional weight in the KPI composite."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client, override_settings

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.enterprise import evaluations
from jiesu.enterprise.models import Contact, Enterprise, Evaluation, EvaluationInvite, EvaluationRating
from jiesu.enterprise.tests.test_direct import CODE, PHONE, _signed_in
from jiesu.enterprise.tests.test_registry import code
from jiesu.notifications.models import Delivery
from jiesu.tickets.workflow import Action

# (门类 via a division, scale, how many): 60 enterprises in 4 strata of different sizes.
STRATA = [("65", "small", 30), ("65", "micro", 15), ("14", "large", 10), ("52", "micro", 5)]


@pytest.fixture
def firms(world):
    made, n = [], 0
    for division, scale, count in STRATA:
        for _ in range(count):
            n += 1
            e = Enterprise.objects.create(credit_code=code(f"91350100M0{n:07d}"), name=f"测试企业{n:02d}",
                                          industry=division, scale=scale)
            Contact.objects.create(enterprise=e, name="联系人", phone=f"1390000{n:04d}")
            made.append(e)
    # One without a contact: it cannot be reached, so it is never invited.
    Enterprise.objects.create(credit_code=code("91350100M09999999"), name="无联系人企业", industry="65", scale="small")
    return made


def _campaign(world, **data):
    today = clock.today()
    values = {"title": "第三季度百企评机关", "period_start": (today - timedelta(days=90)).isoformat(),
              "period_end": (today - timedelta(days=1)).isoformat(),
              "closes_on": (today + timedelta(days=10)).isoformat(), "agencies": ["A", "B"], **data}
    return evaluations.save(world.supervisor, values)


def _scores(agency, value=4, comment=""):
    form = {f"a{agency.pk}_{name}": str(value) for name, _ in evaluations.DIMENSIONS}
    if comment:
        form[f"a{agency.pk}_comment"] = comment
    return form


@pytest.mark.parametrize("size, strata, expected", [
    (10, {"a": 30, "b": 15, "c": 10, "d": 5}, {"a": 5, "b": 2, "c": 2, "d": 1}),  # 5, 2.5, 1.67, 0.83
    (6, {"a": 1, "b": 1, "c": 1}, {"a": 2, "b": 2, "c": 2}),
    (4, {"a": 10, "b": 10, "c": 10}, {"a": 2, "b": 1, "c": 1}),  # equal remainders: key order
    (3, {"x": 50, "y": 49, "z": 1}, {"x": 2, "y": 1, "z": 0}),
])
def test_the_sample_is_shared_out_by_stratum_size(size, strata, expected):
    quotas = evaluations.allocate(size, strata)
    assert quotas == expected and sum(quotas.values()) == size


def test_a_stratified_draw_takes_each_stratum_in_proportion_and_can_be_repeated(world, firms):
    evaluation = _campaign(world, sampling="sample", sample_size="12")
    drawn = evaluations.draw(evaluation)
    assert len(drawn) == 12 == len(set(drawn))
    by_stratum = Counter((e.industry, e.scale) for e in Enterprise.objects.filter(pk__in=drawn))
    assert by_stratum == {("65", "small"): 6, ("65", "micro"): 3, ("14", "large"): 2, ("52", "micro"): 1}
    assert evaluations.draw(evaluation) == drawn  # the stored seed gives the same draw
    other = _campaign(world, sampling="sample", sample_size="12")
    assert other.seed != evaluation.seed


@pytest.mark.parametrize("data, expected", [
    ({}, 60),  # every enterprise with a contact
    ({"industries": ["I"]}, 45),  # 门类 I covers division 65
    ({"scales": ["micro"]}, 20),
    ({"industries": ["C", "F"], "scales": ["large"]}, 10),
    ({"sampling": "sample", "sample_size": "500"}, 60),  # a sample larger than the pool is the pool
])
def test_who_can_be_invited(world, firms, data, expected):
    evaluation = _campaign(world, **data)
    assert len(evaluations.draw(evaluation)) == expected
    assert all(Contact.objects.filter(enterprise_id=e).exists() for e in evaluations.draw(evaluation))


@pytest.mark.parametrize("data, field", [
    ({"title": ""}, "title"),
    ({"period_start": "2026-09-30", "period_end": "2026-07-01"}, "period_end"),
    ({"closes_on": "2020-01-01"}, "closes_on"),
    ({"period_start": "2099-01-01", "period_end": "2099-03-31", "closes_on": "2099-04-30"}, "period_start"),
    ({"period_end": "2099-12-31"}, "closes_on"),  # answers would close before the period ends
    ({"sampling": "sample", "sample_size": "5²"}, "sample_size"),  # a digit Python cannot read as a number
    ({"agencies": []}, "agencies"),
    ({"agencies": ["HOT"]}, "agencies"),  # the hotline centre is not rated
    ({"industries": ["Z"]}, "industries"),
    ({"sampling": "sample", "sample_size": "0"}, "sample_size"),
    ({"sampling": "sample", "sample_size": "ten"}, "sample_size"),
])
def test_a_campaign_is_checked_before_it_is_saved(world, data, field):
    with pytest.raises(ValidationFailed) as caught:
        _campaign(world, **data)
    assert field in caught.value.fields


def test_opening_invites_and_texts_the_contacts_once(world, firms):
    with pytest.raises(PermissionDenied):
        evaluations.save(world.handler_a, {"title": "x"})
    evaluation = _campaign(world, sampling="sample", sample_size="10")
    with pytest.raises(PermissionDenied):
        evaluations.open_campaign(world.handler_a, evaluation.pk)
    assert evaluations.open_campaign(world.supervisor, evaluation.pk) == 10
    assert EvaluationInvite.objects.filter(evaluation=evaluation).count() == 10
    texts = Delivery.objects.filter(template="evaluation_invite")
    assert texts.count() == 10 and "第三季度百企评机关" in texts.first().data["title"]
    with pytest.raises(Conflict):
        evaluations.open_campaign(world.supervisor, evaluation.pk)
    with pytest.raises(Conflict):
        evaluations.save(world.supervisor, {"title": "改名"}, evaluation.pk)  # no edits once invited


@pytest.fixture
def opened(world, firms):
    evaluation = _campaign(world)
    evaluations.open_campaign(world.supervisor, evaluation.pk)
    return evaluation


def test_an_enterprise_rates_each_agency_fully_or_not_at_all_and_only_once(world, firms, opened):
    firm = firms[0]
    with pytest.raises(ValidationFailed) as caught:
        evaluations.rate(firm, opened.pk, {})
    assert "form" in caught.value.fields
    partial = _scores(world.dept_a)
    partial.pop(f"a{world.dept_a.pk}_integrity")
    with pytest.raises(ValidationFailed) as caught:
        evaluations.rate(firm, opened.pk, partial)
    assert f"a{world.dept_a.pk}" in caught.value.fields
    with pytest.raises(ValidationFailed):
        evaluations.rate(firm, opened.pk, _scores(world.dept_a, value=6))
    assert not EvaluationRating.objects.exists()
    assert evaluations.rate(firm, opened.pk, _scores(world.dept_a, comment="办事很快")) == 1  # B: not dealt with
    with pytest.raises(Conflict):
        evaluations.rate(firm, opened.pk, _scores(world.dept_b))
    assert EvaluationRating.objects.count() == 1
    stranger = Enterprise.objects.get(name="无联系人企业")
    with pytest.raises(NotFound):
        evaluations.rate(stranger, opened.pk, _scores(world.dept_a))


def test_no_answers_after_the_closing_day_or_once_closed(world, firms, opened):
    with clock.frozen(clock.start_of_day(opened.closes_on + timedelta(days=1)) + timedelta(hours=9)):
        with pytest.raises(Conflict):
            evaluations.rate(firms[0], opened.pk, _scores(world.dept_a))
        assert evaluations.invitations(firms[0]) == []
    evaluations.close_campaign(world.supervisor, opened.pk)
    with pytest.raises(Conflict):
        evaluations.rate(firms[1], opened.pk, _scores(world.dept_a))


def test_a_rating_names_no_enterprise_no_time_and_no_sequence():
    fields = {f.name for f in EvaluationRating._meta.get_fields()}
    assert fields == {"id", "evaluation", "department", "attitude", "efficiency", "policy", "integrity", "comment"}
    assert EvaluationRating._meta.pk.get_internal_type() == "UUIDField"


@pytest.mark.parametrize("extra, expected", [
    (False, [("A", 1, 6), ("B", 1, 6)]),  # A 3, 4, 3, 4, 3, 4 and B 5, 5, 5, 2, 2, 2: both 3.5, a tie
    (True, [("B", 1, 7), ("A", 2, 6)]),  # one more 5 for B
])
def test_the_ranking_and_the_response_rate(world, firms, opened, extra, expected):
    for i, firm in enumerate(firms[:6]):
        form = _scores(world.dept_a, value=3 + (i % 2))
        form |= _scores(world.dept_b, value=5 if i < 3 else 2)
        evaluations.rate(firm, opened.pk, form)
    if extra:
        evaluations.rate(firms[6], opened.pk, _scores(world.dept_b, value=5))
    found = evaluations.results(opened)
    assert found.responded == 6 + extra and all(r.overall is None and r.rank is None for r in found.agencies)
    found = evaluations.results(evaluations.close_campaign(world.supervisor, opened.pk))  # final now
    assert found.invited == 60 and found.response_rate == pytest.approx((6 + extra) / 60)
    assert [(r.department.code, r.rank, r.raters) for r in found.agencies] == expected
    if extra:
        assert found.agencies[0].means["attitude"] == pytest.approx(26 / 7)
    else:
        assert found.agencies[0].score == pytest.approx(70)


def test_nobody_sees_scores_while_open_nor_below_the_floor(world, firms, opened):
    """Watching results move as answers come in, or a unit rated by one enterprise, would single it out: the
    centre is held to the same rule as the units."""
    evaluations.rate(firms[0], opened.pk, _scores(world.dept_b, value=1, comment="只有我评了乙"))
    for firm in firms[1:4]:
        evaluations.rate(firm, opened.pk, _scores(world.dept_a, value=4, comment="甲不错"))
    client = Client()
    client.force_login(world.supervisor)
    page = client.get(f"/evaluations/{opened.pk}/").content.decode()
    assert "甲不错" not in page and "评议结束后显示分数、排名和意见" in page
    assert client.get(f"/evaluations/{opened.pk}/export/").status_code == 302  # not before closing
    closed = evaluations.close_campaign(world.supervisor, opened.pk)
    found = evaluations.results(closed)
    b = next(r for r in found.agencies if r.department == world.dept_b)
    assert (b.raters, b.overall, b.rank, b.comments) == (1, None, None, [])
    page = client.get(f"/evaluations/{opened.pk}/").content.decode()
    assert "甲不错" in page and "只有我评了乙" not in page and "不足 3 家，不排名" in page


def test_an_agency_sees_only_its_own_line_after_closing_and_from_enough_raters(world, firms, opened):
    for i, firm in enumerate(firms[:3]):
        form = _scores(world.dept_a, value=4, comment=f"甲的意见{i}") | (_scores(world.dept_b, 2, "乙太慢") if i == 0 else {})
        evaluations.rate(firm, opened.pk, form)
    # While open: nothing for the agencies.
    assert not evaluations.visible(world.handler_a).exists()
    with pytest.raises(PermissionDenied):
        evaluations.visible(world.operator)
    opened = evaluations.close_campaign(world.supervisor, opened.pk)
    found, own = evaluations.results_for(world.handler_a_sub, opened)  # a sub-unit reads its bureau's line
    assert own.department == world.dept_a and own.raters == 3 and own.rank == 1
    assert sorted(own.comments) == ["甲的意见0", "甲的意见1", "甲的意见2"]
    assert found.agencies == [] and found.by_scale == []  # nobody else's line
    with override_settings(JIESU_EVALUATION_MIN_RATERS=4):  # a higher floor hides A's three raters too
        assert evaluations.results_for(world.handler_a, opened)[1].overall is None
    _, own_b = evaluations.results_for(world.handler_b, opened)
    assert own_b.raters == 1 and own_b.overall is None and own_b.rank is None and own_b.comments == []
    # Through the pages: the agency's page shows its comments, never another agency or any enterprise.
    client = Client()
    client.force_login(world.handler_a)
    page = client.get(f"/evaluations/{opened.pk}/").content.decode()
    assert "甲的意见1" in page and "乙太慢" not in page and "乙局" not in page
    assert not any(f.name in page for f in firms)
    assert client.get(f"/evaluations/{opened.pk}/export/").status_code == 403
    centre = Client()
    centre.force_login(world.supervisor)
    page = centre.get(f"/evaluations/{opened.pk}/").content.decode()
    assert "甲的意见1" in page and "乙太慢" not in page and not any(f.name in page for f in firms)
    export = centre.get(f"/evaluations/{opened.pk}/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_pages_refuse_those_without_the_right(world, opened):
    client = Client()
    client.force_login(world.operator)
    assert client.get("/evaluations/").status_code == 403
    client.force_login(world.handler_a)
    assert client.get("/evaluations/new/").status_code == 403
    assert client.get(f"/evaluations/{opened.pk}/").status_code == 404  # open: not the agency's yet
    assert client.post(f"/evaluations/{opened.pk}/close/").status_code == 403
    client.force_login(world.supervisor)
    assert client.get("/evaluations/999999/").status_code == 404
    assert client.post(f"/evaluations/{opened.pk}/nonsense/").status_code == 404
    bad = client.post("/evaluations/new/", {"title": "", "agencies": ["A"]})
    assert bad.status_code == 400 and "请填写评议名称" in bad.content.decode()


def test_the_enterprise_rates_on_its_own_pages(world, firms):
    firm = Enterprise.objects.create(credit_code=CODE, name="江州明湖示范科技有限公司", industry="65", scale="small")
    Contact.objects.create(enterprise=firm, name="陈立", phone=PHONE)
    ticket = world.new_ticket(channel="enterprise", credit_code=CODE, enterprise_name=firm.name)
    world.act(ticket, Action.DISPATCH)
    evaluation = _campaign(world, period_end=clock.today().isoformat())
    evaluations.open_campaign(world.supervisor, evaluation.pk)
    client = _signed_in()
    home = client.get("/qiye/").content.decode()
    assert "第三季度百企评机关" in home and f"/qiye/evaluations/{evaluation.pk}/" in home
    page = client.get(f"/qiye/evaluations/{evaluation.pk}/").content.decode()
    assert page.index("甲委员会") < page.index("乙局") and "本期办理过贵企业的诉求" in page  # A handled its request
    form = _scores(world.dept_a, value=5)
    form.pop(f"a{world.dept_a.pk}_policy")
    sent = client.post(f"/qiye/evaluations/{evaluation.pk}/", form)
    assert sent.status_code == 400 and "四项都选择" in sent.content.decode()
    assert 'value="5" checked' in sent.content.decode()  # what was chosen stays chosen
    done = client.post(f"/qiye/evaluations/{evaluation.pk}/", _scores(world.dept_a, value=5))
    assert done.status_code == 302 and "感谢贵企业参与评价" in client.get("/qiye/").content.decode()
    again = client.post(f"/qiye/evaluations/{evaluation.pk}/", _scores(world.dept_a, value=1))
    assert again.status_code == 409 and EvaluationRating.objects.count() == 1
    other = Evaluation.objects.create(title="未受邀", period_start=clock.today(), period_end=clock.today(),
                                      closes_on=clock.today(), created_by=world.supervisor, created_at=clock.now(),
                                      status=Evaluation.Status.OPEN)
    assert client.get(f"/qiye/evaluations/{other.pk}/").status_code == 404


def test_the_kpi_composite_adds_the_evaluation_only_with_a_weight(world, firms, opened):
    from jiesu.kpi import services as kpi

    for firm in firms[:3]:
        evaluations.rate(firm, opened.pk, _scores(world.dept_a, value=5) | _scores(world.dept_b, value=2))
    evaluations.close_campaign(world.supervisor, opened.pk)
    scores = evaluations.kpi_scores(opened.period_start, opened.period_end)
    assert scores == {world.dept_a.pk: pytest.approx(100), world.dept_b.pk: pytest.approx(40)}
    assert evaluations.kpi_scores(opened.period_end + timedelta(days=1), opened.period_end + timedelta(days=30)) == {}

    def rows():
        return [{"member": d, "rates": {"response": 1.0, "resolution": 0.5, "satisfaction": 0.5, "score": 65.0}}
                for d in (world.dept_a, world.dept_b, world.dept_a_sub)]

    filters = kpi.Filters(start=opened.period_start, end=opened.period_end)
    unchanged = rows()
    kpi._add_evaluation(unchanged, filters)
    assert [r["rates"]["score"] for r in unchanged] == [65.0, 65.0, 65.0]  # weight 0: the default
    from django.conf import settings

    weighted = {**settings.JIESU_KPI, "weights": {**settings.JIESU_KPI["weights"], "evaluation": 25}}
    with override_settings(JIESU_KPI=weighted):
        blended = rows()
        kpi._add_evaluation(blended, filters)
    # (30×100 + 35×50 + 35×50 + 25×E) ÷ 125: A (E = 100) 72, B (E = 40) 60, the unrated sub-unit unchanged.
    assert [round(r["rates"]["score"], 6) for r in blended] == [72.0, 60.0, 65.0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race is run on PostgreSQL")
def test_two_answers_at_once_make_one(transactional_db):
    from jiesu.tickets.tests.world import World

    world = World.build()
    firm = Enterprise.objects.create(credit_code=CODE, name="测试企业", industry="65", scale="small")
    Contact.objects.create(enterprise=firm, name="联系人", phone=PHONE)
    evaluation = _campaign(world)
    evaluations.open_campaign(world.supervisor, evaluation.pk)
    barrier = threading.Barrier(2)

    def answer(value):
        try:
            barrier.wait()
            evaluations.rate(firm, evaluation.pk, _scores(world.dept_a, value=value))
            return "ok"
        except Conflict:
            return "409"
        finally:
            connections.close_all()

    for _ in range(10):
        EvaluationRating.objects.all().delete()
        EvaluationInvite.objects.update(responded_at=None)
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(answer, (2, 5)))
        assert outcomes == ["409", "ok"] and EvaluationRating.objects.count() == 1
