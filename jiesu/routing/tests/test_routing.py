"""Routing on texts written for jiesu (the demo's own): train, evaluate, predict, explain, bad input,
calibration, auto-dispatch, corrections, the API and the commands."""

import csv
import json
import random
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from jiesu.demo.seed import training_set
from jiesu.routing import services
from jiesu.routing.classifier import TextClassifier
from jiesu.routing.models import Prediction, RoutingModel
from jiesu.routing.text import is_judgeable, normalize
from jiesu.tickets.models import Ticket

BAD_INPUTS = ["", "   ", "！？。，……", "hello, my street light is broken", "😀😡🙏", "路" , "<p></p>&nbsp;"]


@pytest.fixture(scope="module")
def fixture_set():
    return training_set()


@pytest.fixture(scope="module")
def classifier(fixture_set):
    texts, labels = fixture_set
    return TextClassifier().fit(texts, labels)


def test_text_hygiene():
    assert normalize("<b>尊敬的领导：</b>東湖路１２號路燈不亮&amp;") == "东湖路12号路灯不亮&"
    assert len(normalize("路灯" * 60_000)) <= 401
    assert not any(is_judgeable(normalize(t)) for t in BAD_INPUTS)


def test_round_trip_predict_and_explain(classifier):
    top = classifier.top_k("翠湖苑的物业公司没开业主大会就把物业费涨了，请核实", 3)
    assert [s.label for s in top][0] == "010101"  # 物业服务收费
    assert len(top) == 3 and top[0].probability > top[1].probability
    assert abs(sum(classifier.predict_proba(["物业费"])[0]) - 1) < 1e-6
    assert "物业费" in "".join(classifier.explain("物业费上涨没有公示", "010101"))
    again = TextClassifier.loads(classifier.dumps())
    assert again.top_k("燃气泄漏很浓的味道", 1)[0].label == classifier.top_k("燃气泄漏很浓的味道", 1)[0].label


@pytest.mark.parametrize("text", BAD_INPUTS + ["路灯不亮" * 25_000])
def test_bad_input_never_errors(classifier, text):
    result = classifier.top_k(text, 3)
    assert result == [] or len(result) == 3


def test_calibration_higher_confidence_is_more_often_right():
    # Noisy labels (a fifth shuffled) so that the model is sometimes wrong; held-out texts from other streets.
    texts, labels = training_set()
    rng = random.Random(7)
    noisy = [rng.choice(labels) if rng.random() < 0.2 else label for label in labels]
    train_idx = [i for i in range(len(texts)) if i % 5]
    test_idx = [i for i in range(len(texts)) if not i % 5]
    model = TextClassifier().fit([texts[i] for i in train_idx], [noisy[i] for i in train_idx])
    proba = model.predict_proba([texts[i] for i in test_idx])
    confidence = proba.max(axis=1)
    right = np.array([model.labels[j] == labels[i] for j, i in zip(proba.argmax(axis=1), test_idx, strict=True)])
    high = confidence >= np.median(confidence)
    assert right[high].mean() >= right[~high].mean()
    assert 0.0 < confidence.min() <= confidence.max() <= 1.0


def _write_csv(path, texts, labels):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["主题", "内容", "label"])
        for text, label in zip(texts, labels, strict=True):
            writer.writerow([text[:12], text, label])


@pytest.mark.django_db
def test_commands_train_evaluate_predict_list_activate(tmp_path, fixture_set):
    texts, labels = fixture_set
    path = tmp_path / "train.csv"
    _write_csv(path, texts, labels)
    out = StringIO()
    call_command("routing", "train", "--data", str(path), "--text-cols", "主题,内容", "--cv", "3", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["active"] and summary["macro_f1"] > 0.9 and summary["training"]["n"] == len(texts)
    out = StringIO()
    call_command("routing", "evaluate", "--data", str(path), "--text-cols", "主题,内容", "--json", stdout=out)
    evaluation = json.loads(out.getvalue())
    assert {"accuracy", "macro_f1", "top3_accuracy", "per_class", "confusion"} <= set(evaluation)
    out = StringIO()
    call_command("routing", "predict", "楼道里燃气味很浓，怀疑泄漏", "--json", stdout=out)
    assert json.loads(out.getvalue())["suggestions"][0]["label"] == "090301"
    out = StringIO()
    call_command("routing", "predict", "!!!", stdout=out)
    assert "无法判断" in out.getvalue()
    first = RoutingModel.objects.get()
    call_command("routing", "train", "--data", str(path), "--text-cols", "主题,内容", "--cv", "0", stdout=StringIO())
    assert RoutingModel.objects.get(active=True).pk != first.pk
    call_command("routing", "activate", str(first.pk), stdout=StringIO())
    assert RoutingModel.objects.get(active=True).pk == first.pk  # switching back is one command
    out = StringIO()
    call_command("routing", "list", stdout=out)
    assert "启用" in out.getvalue()


@pytest.fixture(scope="module")
def world_model_blob():
    """Trained once per module: the demo texts, with 路灯不亮 as the world's category 0101 (→ department A)."""
    texts, labels = training_set()
    return TextClassifier().fit(texts, ["0101" if label == "020201" else label for label in labels]).dumps()


@pytest.fixture
def routed_world(world, world_model_blob):
    model = RoutingModel.objects.create(name="测试", labels=[], blob=world_model_blob)
    services.activate(model.pk)
    return world


def test_auto_dispatch_threshold(routed_world, settings):
    world = routed_world
    text = "东湖路一段路灯已经一周不亮，晚上很黑，请求维修。"
    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = None
    ticket = world.new_ticket(kind="help", category="", content=text)
    assert ticket.state == "pending_dispatch"
    prediction = Prediction.objects.get(ticket=ticket)
    assert prediction.department == world.dept_a and prediction.source == Prediction.Source.INTAKE

    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = min(0.99, prediction.confidence)
    world.act(ticket, "invalidate")  # no open 疑似重复 left to merge with
    ticket = world.new_ticket(kind="help", category="", content=text)
    assert ticket.state == "pending_sign" and ticket.department == world.dept_a
    dispatch = ticket.events.get(action="dispatch")
    assert dispatch.actor.username == "router" and "智能派单" in dispatch.note
    assert Prediction.objects.get(ticket=ticket).source == Prediction.Source.AUTO

    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = 1.01  # above any probability: off in effect
    assert world.new_ticket(kind="help", category="", content=text).state == "pending_dispatch"


def test_auto_dispatch_holds_back_while_a_duplicate_is_open(routed_world, settings):
    world = routed_world
    text = "东湖路一段路灯已经一周不亮，晚上很黑，请求维修。"
    first = world.new_ticket(kind="help", category="", content=text)
    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = min(0.99, Prediction.objects.get(ticket=first).confidence)
    client = Client()
    client.force_login(world.operator)
    response = client.post("/intake/", {"channel": "phone", "kind": "help", "content": text,
                                        "caller_phone": "13800138000", "region": "110"}, follow=True)
    again = Ticket.objects.exclude(pk=first.pk).get()
    assert again.state == "pending_dispatch" and again.duplicate_matches.filter(other=first).exists()
    assert "有疑似重复的在办工单，未自动派单" in response.content.decode()
    done, failed = services.accept_confident(world.dispatcher, 0.0)  # 一键派出 holds back the same way
    assert (again.number, "有疑似重复的在办工单，请先研判是否并单") in failed
    again.refresh_from_db()
    assert again.state == "pending_dispatch"
    world.act(first, "invalidate")
    world.act(again, "invalidate")
    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = 0.0  # any department the router names
    response = client.post("/intake/", {"channel": "phone", "kind": "help", "content": text,
                                        "caller_phone": "13700137000", "region": "110"}, follow=True)
    sent = Ticket.objects.order_by("-id").first()
    assert sent.state == "pending_sign"  # the operator is told where it went, and how sure the router was
    assert f"已自动派往 {sent.department.name}（置信度" in response.content.decode()


def test_the_queue_never_preselects_a_unit_that_returned_the_ticket_or_a_weak_guess(routed_world, settings):
    world = routed_world
    ticket = world.new_ticket(kind="help", category="", content="东湖路一段路灯已经一周不亮，晚上很黑，请求维修。")
    for action in ("dispatch", "sign", "return", "approve_return"):
        ticket = world.act(ticket, action)
    client = Client()
    client.force_login(world.dispatcher)
    row = client.get("/dispatch/").content.decode()
    assert '<option value="A" selected>' not in row and "建议的甲委员会已退回此单，请另选承办单位" in row
    held = {r.number: r.held for r in services.confident_plan(world.dispatcher, 0.0)}  # nor does 一键派出 send it
    assert held[ticket.number] == "建议的甲委员会已退回此单，请人工改派"
    assert '<option value="A" selected>' not in client.get(f"/tickets/{ticket.number}/").content.decode()
    fresh = world.new_ticket(kind="help", category="", content="幸福里3号楼前的路灯坏了一周。", caller_phone="13700137000")
    confidence = Prediction.objects.get(ticket=fresh).confidence
    settings.JIESU_ROUTING_PRESELECT = confidence + 0.01
    page = client.get("/dispatch/").content.decode()
    assert page.count('<option value="A" selected>') == 0
    settings.JIESU_ROUTING_PRESELECT = confidence - 0.01
    assert client.get("/dispatch/").content.decode().count('<option value="A" selected>') == 1


def test_final_choice_is_recorded_and_accept_confident(routed_world, settings):
    world = routed_world
    settings.JIESU_ROUTING_PRESELECT = 0.0  # this small model is never very sure
    ticket = world.new_ticket(kind="help", category="", content="东湖路一段路灯已经一周不亮，晚上很黑，请求维修。")
    client = Client()
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert "智能建议：甲委员会" in page
    assert "依据：" in page
    # 一键派出 first shows what would be sent where; only the confirmed tickets go.
    confirm = client.post("/routing/accept/", {"minimum": "0.0"}).content.decode()
    assert ticket.number in confirm and "甲委员会" in confirm and "确认派出" in confirm
    ticket.refresh_from_db()
    assert ticket.state == "pending_dispatch"
    client.post("/routing/accept/", {"minimum": "0.0", "confirm": "1"})  # nothing ticked: nothing sent
    ticket.refresh_from_db()
    assert ticket.state == "pending_dispatch"
    client.post("/routing/accept/", {"minimum": "0.0", "confirm": "1", "number": [ticket.number]})
    ticket.refresh_from_db()
    assert ticket.state == "pending_sign"
    # Sent already: confirming it again says so instead of counting it silently.
    again = client.post("/routing/accept/", {"minimum": "0", "confirm": "1", "number": [ticket.number, "abc"]},
                        follow=True).content.decode()
    assert f"{ticket.number}：已不在待派单" in again and "abc：已不在待派单" in again
    prediction = Prediction.objects.get(ticket=ticket)
    assert prediction.final_department == world.dept_a and prediction.correct is True
    detail = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "智能派单建议" in detail and "与建议一致" in detail
    handler_view = Client()
    handler_view.force_login(world.handler_a)
    assert 'id="routing"' not in handler_view.get(f"/tickets/{ticket.number}/").content.decode()


@pytest.mark.parametrize("text", BAD_INPUTS + ["路灯" * 60_000])
def test_suggest_api_and_partial_never_fail(routed_world, text):
    client = Client()
    client.force_login(routed_world.operator)
    response = client.post("/api/v1/routing/suggest", {"text": text}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["label"] == "无法判断" or response.json()["judgeable"]
    assert client.get("/routing/suggest/", {"content": text[:5000]}).status_code == 200


def test_retraining_from_corrections_changes_the_prediction(routed_world):
    """Dispatchers keep correcting 噪声扰民 texts to a new category; retraining from tickets learns it."""
    from jiesu.directory.tests.factories import CategoryFactory
    from jiesu.tickets.workflow import State

    world = routed_world
    noise = CategoryFactory(code="0199", name="夜间施工", parent=world.category.parent, default_department=world.dept_b)
    text = "工地每天夜里十一点以后还在浇筑混凝土，噪音很大，孩子无法入睡。"
    assert services.route(text).best["label"] != "0199"
    for _ in range(6):
        ticket = world.ticket_in(State.CLOSED, kind="complaint", category="", content=text)
        assert ticket.state == State.CLOSED
    # Closed tickets of the world's own category too, so there are two classes to learn.
    for _ in range(3):
        world.ticket_in(State.CLOSED, kind="complaint", content="东湖路路灯不亮，请维修。")
    from jiesu.tickets.models import Ticket

    Ticket.objects.filter(content=text).update(category=noise)  # the final category the handlers settled on
    texts, labels = services.training_data_from_tickets()
    services.train(texts, labels, name="从工单再训练", source="tickets")
    assert services.route(text).best["label"] == "0199"


def test_fast_path_gives_sklearns_numbers(classifier, fixture_set):
    texts = fixture_set[0][:40] + ["完全无关的一句话：今天天气不错", "物业"]
    docs = [normalize(t) for t in texts]
    reference = classifier.model.predict_proba(classifier.features.transform(docs))
    assert np.allclose(classifier.predict_proba(texts), reference, atol=1e-9)
    for text, row in zip(texts, reference, strict=True):
        assert np.allclose(classifier.predict_proba([text])[0], row, atol=1e-9)
        indices, values = classifier._vectorize(normalize(text))
        dense = classifier.features.transform([normalize(text)]).toarray()[0]
        assert np.allclose(dense[indices], values) and np.isclose(dense.sum(), values.sum())


def test_accept_minimum_is_a_percentage_above_the_preselect_threshold(routed_world, settings):
    from jiesu.routing.views import _minimum

    settings.JIESU_ROUTING_PRESELECT = 0.5
    assert _minimum("80") == _minimum("80%") == _minimum("0.8") == 0.8 and _minimum("100") == 1.0
    for bad in ("abc", "", "-5", "0", "7", "0.3", "101", "nan", "inf", "1e309", "0.8abc"):
        assert _minimum(bad) is None, bad
    client = Client()
    client.force_login(routed_world.dispatcher)
    page = client.post("/routing/accept/", {"minimum": "7"}, follow=True).content.decode()
    assert "置信度应为 50–100 之间的百分数" in page and "确认派出" not in page
    assert client.get("/routing/accept/").status_code == 302  # a reload goes back to the queue


def test_explanations_are_whole_words_of_the_text():
    from jiesu.routing.classifier import whole_words

    text = "老人出行不便，楼下烧烤摊每天晚上占用人行道"
    words = whole_words({"出行不": 0.5, "天晚上": 0.3, "用人行": 0.2, "烧烤": 0.4, "占": 0.01}, text, 5)
    assert words[:2] == ["烧烤", "出行"] and "不便" in words and "人行道" in words
    assert all(w in text and w not in ("出行不", "天晚上", "用人行") for w in words)
    assert "每天" not in words  # a word that says nothing about where the ticket should go
    assert whole_words({}, text, 5) == [] and whole_words({"烧烤": -1.0}, text, 5) == []


def test_a_failing_router_never_stops_intake(routed_world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(services, "route", broken)
    ticket = routed_world.new_ticket(kind="help", category="", content="东湖路路灯不亮，请维修。")
    assert ticket.state == "pending_dispatch" and not Prediction.objects.filter(ticket=ticket).exists()
    assert "“routing”处理失败，工单照常登记" in caplog.text  # logged by tickets.lifecycle; waits for a dispatcher
