"""人大代表建议 / 政协委员提案: registration and 交办 (主办 + 会办), the 3-month clock, 沟通 before 答复 and the 答复函
(also refused through the ordinary ticket API), the .docx, the deputy's evaluation with one 重办, who sees what,
and the annual statement."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiesu.channels import proposals
from jiesu.channels.models import Consultation, Proposal, ReplyLetter
from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.directory.tests.factories import make_staff
from jiesu.tickets import services as tickets
from jiesu.tickets.models import AssistPart, Ticket
from jiesu.tickets.workflow import Action, State

TEXT = "建议在老旧小区改造中同步推进加装电梯，简化审批流程，明确资金分担办法。"


@pytest.fixture
def liaison(world):
    return make_staff("liaison", world.hotline, username="liaison")


def _register(user, **data):
    values = {"body": "npc", "session": "十七届三次会议", "number": "123", "proposer": "王代表",
              "proposer_phone": "13900001111", "delegation": "明湖代表团", "co_signers": "李代表、张代表",
              "subject": "关于老旧小区加装电梯的建议", "content": TEXT, "lead": "A", **data}
    return proposals.register(user, values)


def _signed(world, liaison, **data):
    proposal = _register(liaison, **data)
    tickets.perform(proposal.ticket.number, Action.SIGN, actor=world.handler_a)
    return proposal


def _consult(world, proposal, form="meeting"):
    return proposals.consult(world.handler_a, proposal.ticket.number, {
        "held_on": clock.today().isoformat(), "form": form, "note": "与代表面商，介绍加装电梯的进展和计划。"})


def _letter(answer_class="B", **data):
    return {"document_number": "明湖住建〔2026〕建字12号", "signer": "赵局长", "answer_class": answer_class,
            "text": "今年已完成12个小区加装电梯，明年列入计划30个。\n审批已压缩至5个工作日。", "contact": "刘科长 0591-1234567",
            **data}


def test_registration_hands_it_to_the_lead_and_joint_units_on_the_three_month_clock(world, liaison):
    proposal = _register(liaison, joint=["B"])
    ticket = proposal.ticket
    assert (ticket.channel, ticket.kind, ticket.title, ticket.caller_name) == ("npc", "suggestion",
                                                                              "关于老旧小区加装电梯的建议", "王代表")
    assert ticket.state == State.PENDING_SIGN and ticket.department == world.dept_a
    assert list(AssistPart.objects.filter(ticket=ticket).values_list("department__code", flat=True)) == ["B"]
    assert proposals.get(world.handler_b, ticket.number) == proposal  # the 会办 unit reads it too
    assert proposal.co_signers == ["李代表", "张代表"] and proposal.label == "十七届三次会议第0123号建议"
    # The channel's rule: 3 months to answer (not the 15 working days of an ordinary ticket).
    assert ticket.reply_due_at - ticket.created_at > timedelta(days=85)
    with pytest.raises(Conflict):
        _register(liaison)  # the same session and number
    assert _register(liaison, body="cppcc").label == "十七届三次会议第0123号提案"  # the 政协's own numbering


@pytest.mark.parametrize("data, field", [
    ({"body": "x"}, "body"), ({"session": ""}, "session"), ({"number": "0"}, "number"), ({"number": "abc"}, "number"),
    ({"proposer": ""}, "proposer"), ({"subject": ""}, "subject"), ({"content": ""}, "content"),
    ({"joint": ["A"]}, "joint"), ({"year": "1999"}, "year"),
])
def test_registration_is_checked(world, liaison, data, field):
    with pytest.raises(ValidationFailed) as caught:
        _register(liaison, **data)
    assert field in caught.value.fields
    assert not Ticket.objects.exists()


def test_only_the_liaison_office_registers(world):
    with pytest.raises(PermissionDenied):
        _register(world.operator)


def test_no_answer_without_a_consultation_and_a_letter_even_through_the_ticket_api(world, liaison):
    proposal = _signed(world, liaison)
    number = proposal.ticket.number
    with pytest.raises(Conflict) as caught:
        proposals.reply(world.handler_a, number, _letter())
    assert caught.value.code == "proposal_needs_consultation"
    assert not ReplyLetter.objects.exists()  # nothing half-written
    _consult(world, proposal)
    ticket = Ticket.objects.get(pk=proposal.ticket.pk)
    assert ticket.contacted_at is not None  # the 沟通 is the ticket's 联系诉求人
    client = Client()
    client.force_login(world.handler_a)
    plain = client.post(f"/api/v1/tickets/{number}/reply", {"reply_text": "已办理", "result": "resolved"},
                        content_type="application/json")
    assert plain.status_code == 409 and plain.json()["code"] == "proposal_needs_letter"
    letter = proposals.reply(world.handler_a, number, _letter(), SimpleUploadedFile("签章件.pdf", b"%PDF-1.4 test"))
    ticket.refresh_from_db()
    assert ticket.state == State.PENDING_CALLBACK and ticket.reply_result == "partial"
    from jiesu.notifications.models import Delivery

    assert not Delivery.objects.filter(to="13900001111").exists()  # no hotline SMS to the deputy
    assert "明湖住建〔2026〕建字12号" in ticket.reply_text
    assert letter.signed_copy is not None and letter.signed_copy.purpose == "reply"
    with pytest.raises(NotFound):  # another unit does not even see it
        proposals.consult(world.handler_b, number, {"held_on": clock.today().isoformat(), "form": "phone",
                                                    "note": "x"})


@pytest.mark.parametrize("data, field", [
    ({"held_on": "2099-01-01"}, "held_on"), ({"held_on": "x"}, "held_on"), ({"form": "email"}, "form"),
    ({"note": ""}, "note"),
])
def test_a_consultation_is_checked(world, liaison, data, field):
    proposal = _signed(world, liaison)
    with pytest.raises(ValidationFailed) as caught:
        proposals.consult(world.handler_a, proposal.ticket.number,
                          {"held_on": clock.today().isoformat(), "form": "phone", "note": "电话沟通", **data})
    assert field in caught.value.fields and not Consultation.objects.exists()


def test_the_letter_as_a_word_document(world, liaison):
    from docx import Document

    proposal = _signed(world, liaison, joint=["B"])
    _consult(world, proposal)
    letter = proposals.reply(world.handler_a, proposal.ticket.number, _letter("A"))
    text = "\n".join(p.text for p in Document(BytesIO(proposals.letter_docx(letter))).paragraphs)
    for expected in ("明湖住建〔2026〕建字12号", "答复类别：A", "关于十七届三次会议第0123号建议的答复", "王代表代表：",
                     "《关于老旧小区加装电梯的建议》", "今年已完成12个小区加装电梯", "审批已压缩至5个工作日",
                     "A类：所提问题已经解决或基本解决", "甲委员会", "签发人：赵局长", "抄送：乙局（会办单位）"):
        assert expected in text, expected
    client = Client()
    client.force_login(world.handler_a)
    download = client.get(f"/proposals/{proposal.ticket.number}/letters/1.docx")
    assert download.status_code == 200 and download["Content-Type"].endswith("wordprocessingml.document")
    client.force_login(world.handler_b)  # the 会办 unit reads the letter too
    assert client.get(f"/proposals/{proposal.ticket.number}/letters/1.docx").status_code == 200
    client.force_login(world.handler_a_sub)  # a unit with no part in it does not
    assert client.get(f"/proposals/{proposal.ticket.number}/letters/1.docx").status_code == 404


def test_unsatisfied_goes_back_once(world, liaison):
    proposal = _signed(world, liaison)
    number = proposal.ticket.number
    _consult(world, proposal)
    proposals.reply(world.handler_a, number, _letter("C"))
    with pytest.raises(ValidationFailed):
        proposals.evaluate(liaison, number, {"satisfaction": "satisfied", "redo": "1"})
    with pytest.raises(PermissionDenied):
        proposals.evaluate(world.operator, number, {"satisfaction": "satisfied"})
    ticket = proposals.evaluate(liaison, number, {"satisfaction": "unsatisfied", "note": "进度太慢", "redo": "1"})
    assert ticket.state == State.IN_PROGRESS and ticket.department == world.dept_a
    letter = proposals.reply(world.handler_a, number, _letter("B", document_number="明湖住建〔2026〕建字20号"))
    assert letter.round == 2
    ticket = proposals.evaluate(liaison, number, {"satisfaction": "unsatisfied"})
    assert ticket.state == State.CLOSED
    with pytest.raises(Conflict) as caught:
        tickets.perform(number, Action.REDO, actor=world.supervisor, note="再次重办")
    assert caught.value.code == "proposal_redo_limit"


def test_the_liaison_sees_proposals_only_and_units_their_own(world, liaison):
    proposal = _register(liaison)
    ordinary = world.new_ticket()
    assert set(Ticket.objects.visible_to(liaison)) == {proposal.ticket}
    assert ordinary not in Ticket.objects.visible_to(liaison)
    assert [p.pk for p in proposals.visible(world.handler_a)] == [proposal.pk]
    assert not proposals.visible(world.handler_b).exists()
    with pytest.raises(NotFound):
        proposals.get(world.handler_b, proposal.ticket.number)
    client = Client()
    client.force_login(world.handler_b)
    assert client.get(f"/proposals/{proposal.ticket.number}/").status_code == 404
    assert client.get("/proposals/statement/").status_code == 403
    client.force_login(liaison)
    page = client.get(f"/proposals/{proposal.ticket.number}/").content.decode()
    assert "十七届三次会议第0123号建议" in page and "13900001111" not in page  # the deputy's phone is masked


def test_the_annual_statement(world, liaison):
    year = clock.today().year
    numbers = []
    for n, (form, answer_class, satisfaction) in enumerate([("meeting", "A", "satisfied"), ("phone", "B", "basic"),
                                                            ("meeting", "C", "unsatisfied")], start=1):
        proposal = _signed(world, liaison, number=str(n))
        _consult(world, proposal, form)
        proposals.reply(world.handler_a, proposal.ticket.number, _letter(answer_class))
        proposals.evaluate(liaison, proposal.ticket.number, {"satisfaction": satisfaction})
        numbers.append(proposal.ticket.number)
    _register(liaison, number="9", lead="B")  # handed over, not answered, not yet due
    late = _signed(world, liaison, number="10")
    Ticket.objects.filter(pk=late.ticket.pk).update(reply_due_at=clock.now() - timedelta(days=1))  # past due
    total, lines = proposals.statement(year)
    a = next(line for line in lines if line.label == "甲委员会")
    assert (a.count, a.due, a.on_time, a.met, a.evaluated, a.satisfied) == (4, 4, 3, 2, 3, 2)
    assert a.classes == {"A": 1, "B": 1, "C": 1, "D": 0} and a.share("A") == pytest.approx(1 / 3)
    assert (total.count, total.on_time_rate, total.meeting_rate) == (5, 0.75, 0.4)
    assert total.satisfaction_rate == pytest.approx(2 / 3)
    assert proposals.statement(year, "cppcc")[0].count == 0
    client = Client()
    client.force_login(liaison)
    assert "75.0%" in client.get(f"/proposals/statement/?year={year}").content.decode()
    export = client.get(f"/proposals/statement/?year={year}&format=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_pages_register_and_answer(world, liaison):
    client = Client()
    client.force_login(liaison)
    bad = client.post("/proposals/new/", {"body": "npc", "session": "十七届三次会议", "number": "x"})
    assert bad.status_code == 400 and "编号须为" in bad.content.decode()
    made = client.post("/proposals/new/", {"body": "npc", "session": "十七届三次会议", "number": "7", "year": "2026",
                                           "proposer": "王代表", "subject": "关于增设公交线路的建议", "content": TEXT,
                                           "lead": "A", "joint": ["B"]})
    assert made.status_code == 302
    number = Proposal.objects.get(number=7).ticket.number
    tickets.perform(number, Action.SIGN, actor=world.handler_a)
    unit = Client()
    unit.force_login(world.handler_a)
    page = unit.get(f"/proposals/{number}/").content.decode()
    assert "记录沟通" in page and "填写答复函" in page
    assert "建议提案页面" in unit.get(f"/tickets/{number}/").content.decode()
    refused = unit.post(f"/proposals/{number}/reply/", _letter())
    assert refused.status_code == 302 and ReplyLetter.objects.count() == 0
    assert unit.post(f"/proposals/{number}/consult/", {"held_on": "", "form": "meeting", "note": "x"}).status_code == 400
    assert unit.post(f"/proposals/{number}/consult/", {"held_on": clock.today().isoformat(), "form": "meeting",
                                                       "note": "见面沟通"}).status_code == 302
    assert unit.post(f"/proposals/{number}/reply/", _letter()).status_code == 302
    assert Ticket.objects.get(number=number).state == State.PENDING_CALLBACK
    assert unit.post(f"/proposals/{number}/nonsense/").status_code == 404
    upload = SimpleUploadedFile("签章件.pdf", b"%PDF-1.4 test")
    assert unit.post(f"/proposals/{number}/signed/", {"round": "abc", "signed_copy": upload}).status_code == 404
    assert unit.post(f"/proposals/{number}/signed/", {"round": "1"}).status_code == 400  # no file
    upload = SimpleUploadedFile("签章件.pdf", b"%PDF-1.4 test")
    assert unit.post(f"/proposals/{number}/signed/", {"round": "1", "signed_copy": upload}).status_code == 302
    assert ReplyLetter.objects.get().signed_copy.name == "签章件.pdf"


def test_the_liaison_worklists_hold_proposals_only(world, liaison):
    from jiesu.tickets import worklists

    _register(liaison, lead="")  # waits to be handed over
    answered = _signed(world, liaison, number="2")
    _consult(world, answered)
    proposals.reply(world.handler_a, answered.ticket.number, _letter())
    ordinary = world.new_ticket()  # also 待派单, but not the liaison's
    counts = worklists.counts(liaison)
    assert counts["proposal_dispatch"] == 1 and counts["proposal_evaluate"] == 1
    assert ordinary.state == State.PENDING_DISPATCH and worklists.counts(world.dispatcher)["dispatch"] == 2


def test_where_the_centre_reviews_answers_a_letter_sent_back_is_replaced(world, liaison):
    from jiesu.tickets.models import ReplyReviewRule

    ReplyReviewRule.objects.create(department=world.dept_a)
    proposal = _signed(world, liaison)
    number = proposal.ticket.number
    _consult(world, proposal)
    proposals.reply(world.handler_a, number, _letter("D"))
    assert Ticket.objects.get(number=number).state == State.IN_PROGRESS  # waiting for the centre
    client = Client()
    client.force_login(world.handler_a)
    assert "答复函已提交热线中心审核" in client.get(f"/proposals/{number}/").content.decode()
    tickets.perform(number, Action.REJECT_REPLY, actor=world.dispatcher, note="答复类别不准确，请重新研究")
    page = client.get(f"/proposals/{number}/").content.decode()
    assert "修改答复函（热线中心已退回）" in page and 'value="D" checked' in page
    proposals.reply(world.handler_a, number, _letter("B", text="经重新研究，列入明年计划。"))
    tickets.perform(number, Action.APPROVE_REPLY, actor=world.dispatcher)
    letter = ReplyLetter.objects.get()
    assert (letter.round, letter.answer_class) == (1, "B")
    assert Ticket.objects.get(number=number).state == State.PENDING_CALLBACK


@pytest.mark.parametrize("data, field", [({"lead": "NOPE"}, "department"), ({"joint": ["NOPE"]}, "assist")])
def test_an_unknown_unit_leaves_nothing_registered(world, liaison, data, field):
    with pytest.raises(ValidationFailed) as caught:
        _register(liaison, **data)
    assert field in caught.value.fields
    assert not Ticket.objects.exists() and not Proposal.objects.exists()
