"""人大代表建议 and 政协委员提案 on the ticket core (docs/channels.md).

A proposal is a ticket on channel 人大建议/政协提案 (the time-limit rule of that channel: 3 months to answer) with a
`Proposal` beside it. The liaison office registers it and hands it to the 主办 unit with its 会办/协办 units
(派单 with 协办: the joint handling the dispatch already has). The workflow is the ticket's, with two rules of this
flow, enforced on the lifecycle seam (`before_move`), so that no page or API can go round them:

- **答复** needs the lead unit's 沟通/面商 with the deputy first (`consult`, which is also the ticket's 联系诉求人),
  and a 答复函 for this round (`reply`, which writes the letter and answers the ticket in one transaction);
- **重办** once only: the deputy's 不满意 may send it back one time.

The deputy's evaluation (满意/基本满意/不满意) is the ticket's 回访, recorded by the liaison office (`evaluate`).
`statement` is the annual account (by unit: 件数, 按期办结率, 见面率, 满意率, A/B/C/D shares).
"""

import re
from dataclasses import dataclass, field
from io import BytesIO

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from jiesu.core.validators import is_storable_text, parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids
from jiesu.tickets import access
from jiesu.tickets import services as tickets
from jiesu.tickets.models import PROPOSAL_CHANNELS, Attachment, Kind, Satisfaction, Ticket, TicketEvent
from jiesu.tickets.workflow import Action, State

from .models import Body, Consultation, Proposal, ReplyLetter

CHANNEL = {Body.NPC: "npc", Body.CPPCC: "cppcc"}
REDO_LIMIT = 1
# The ticket's 答复结果 for each answer class (what the 回访 and the rates read).
RESULT = {"A": "resolved", "B": "partial", "C": "explained", "D": "explained"}
CONTACT_METHOD = {"meeting": "visit", "phone": "phone", "forum": "other"}
MAX_CO_SIGNERS = 50


def _text(data, name: str, label: str, errors: dict, *, limit: int, required: bool = True) -> str:
    value = str(data.get(name) or "").replace("\r\n", "\n").strip()  # a browser's line break counts once
    if required and not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit or not is_storable_text(value):
        errors[name] = f"{label}不超过{limit}字，且不能含有无法保存的字符"
    return value


# ---------------------------------------------------------------- registration

@transaction.atomic
def register(actor, data) -> Proposal:
    """登记: the proposal and its ticket, handed at once to the 主办 unit (and 会办 units) when they are named."""
    if not has_perm(actor, "proposal.register"):
        raise PermissionDenied("您无权登记建议提案", code="proposal_forbidden")
    errors: dict[str, str] = {}
    body = str(data.get("body") or "")
    if body not in Body.values:
        errors["body"] = "请选择人大代表建议或政协委员提案"
    session = _text(data, "session", "届次会议", errors, limit=50)
    raw_number = str(data.get("number") or "").strip()
    number = int(raw_number) if raw_number.isdecimal() and 0 < int(raw_number) < 100000 else None
    if number is None:
        errors["number"] = "编号须为 1–99999 的整数"
    year_raw = str(data.get("year") or clock.today().year).strip()
    year = int(year_raw) if year_raw.isdecimal() and 2000 <= int(year_raw) <= 2100 else None
    if year is None:
        errors["year"] = "年度无效"
    proposer = _text(data, "proposer", "领衔代表/委员", errors, limit=50)
    phone = _text(data, "proposer_phone", "联系电话", errors, limit=20, required=False)
    delegation = _text(data, "delegation", "代表团/界别", errors, limit=50, required=False)
    subject = _text(data, "subject", "案由", errors, limit=200)
    content = _text(data, "content", "建议提案正文", errors, limit=20000)
    co_signers = [n for n in re.split(r"[，,、\s]+", str(data.get("co_signers") or "")) if n][:MAX_CO_SIGNERS + 1]
    if len(co_signers) > MAX_CO_SIGNERS or any(len(n) > 20 for n in co_signers):
        errors["co_signers"] = f"联名人至多{MAX_CO_SIGNERS}人，以逗号或顿号分隔"
    lead = str(data.get("lead") or "").strip()
    joint = [c for c in (data.getlist("joint") if hasattr(data, "getlist") else data.get("joint") or []) if c]
    if lead and lead in joint:
        errors["joint"] = "会办单位不能与主办单位相同"
    if errors:
        raise ValidationFailed(errors)
    if Proposal.objects.filter(body=body, session=session, number=number).exists():
        raise Conflict(f"{session}第{number}号{'建议' if body == Body.NPC else '提案'}已经登记过", code="proposal_exists")
    # No hotline SMS (受理回执, 答复 notice, 网上评价 link) to the deputy: the unit and the liaison office
    # correspond with them formally.
    ticket = tickets.create_ticket(actor=actor, data={
        "channel": CHANNEL[body], "kind": Kind.SUGGESTION, "title": subject, "content": content,
        "caller_name": proposer, "caller_phone": phone, "sms_opt_out": True})
    proposal = Proposal.objects.create(ticket=ticket, body=body, year=year, session=session, number=number,
                                       proposer=proposer, delegation=delegation, co_signers=co_signers, registered_by=actor,
                                       registered_at=clock.now())
    if lead:
        payload = {"department": lead, "note": "建议提案交办"}
        if joint:
            payload["assist"] = joint
        proposal.ticket = tickets.perform(ticket.number, Action.DISPATCH, actor=actor, **payload)
    return proposal


def visible(user):
    """The proposals whose tickets this user may see (the liaison office and the centre: all; a unit: its own)."""
    return Proposal.objects.filter(ticket__in=Ticket.objects.visible_to(user))


def get(user, ticket_number: str) -> Proposal:
    found = visible(user).select_related("ticket").filter(ticket__number=ticket_number).first()
    if found is None:
        raise NotFound("建议提案不存在或无权查看", code="proposal_not_found")
    return found


def _lead(actor, proposal: Proposal) -> Ticket:
    """The proposal's ticket, if the actor is of the unit it is assigned to (主办) and it is being handled."""
    ticket = access.access_ticket(actor, proposal.ticket.number, for_update=True)
    department = department_of(actor)
    if department is None or ticket.department_id not in subtree_ids(department):
        raise PermissionDenied("只有主办单位可以办理", code="proposal_not_lead")
    if ticket.state != State.IN_PROGRESS:
        raise Conflict("建议提案须在签收后、办理中才能沟通和答复", code="proposal_not_in_progress")
    return ticket


# ---------------------------------------------------------------- 沟通/面商 and 答复函

@transaction.atomic
def consult(actor, ticket_number: str, data) -> Consultation:
    """沟通/面商 recorded by the lead unit; it is the ticket's 联系诉求人 too (the 响应 clock stops)."""
    proposal = get(actor, ticket_number)
    ticket = _lead(actor, proposal)
    errors: dict[str, str] = {}
    held_on = parse_day(data.get("held_on"))
    if held_on is None:
        errors["held_on"] = "请填写有效的沟通日期"
    elif held_on > clock.today():
        errors["held_on"] = "沟通日期不能晚于今天"
    form = str(data.get("form") or "")
    if form not in Consultation.Form.values:
        errors["form"] = "请选择沟通方式（见面、电话或座谈）"
    note = _text(data, "note", "沟通情况", errors, limit=2000)
    if errors:
        raise ValidationFailed(errors)
    found = Consultation.objects.create(proposal=proposal, department=ticket.department, held_on=held_on, form=form,
                                        note=note, recorded_by=actor, recorded_at=clock.now())
    tickets.perform(ticket.number, Action.CONTACT, actor=actor, method=CONTACT_METHOD[form],
                    note=f"与{'代表' if proposal.body == Body.NPC else '委员'}{Consultation.Form(form).label}沟通：{note[:200]}")
    return found


def redo_count(ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, action=Action.REDO).count()


@transaction.atomic
def reply(actor, ticket_number: str, data, signed_copy=None) -> ReplyLetter:
    """答复: the 答复函 (文号, 签发人, A/B/C/D, text), then the ticket's 答复 with it — or, where the centre reviews
    answers, its 提交答复审核. An uploaded signed copy is attached to the ticket as 答复材料."""
    proposal = get(actor, ticket_number)
    ticket = _lead(actor, proposal)
    errors: dict[str, str] = {}
    document_number = _text(data, "document_number", "文号", errors, limit=100)
    signer = _text(data, "signer", "签发人", errors, limit=50)
    contact = _text(data, "contact", "联系人及电话", errors, limit=100, required=False)
    answer_class = str(data.get("answer_class") or "")
    if answer_class not in ReplyLetter.AnswerClass.values:
        errors["answer_class"] = "请选择答复类别（A、B、C、D）"
    text = _text(data, "text", "答复正文", errors, limit=20000)
    if errors:
        raise ValidationFailed(errors)
    # One letter per round; a letter the centre sent back (答复审核 退回) is replaced by the new one.
    letter, _ = ReplyLetter.objects.update_or_create(
        proposal=proposal, round=redo_count(ticket) + 1, defaults={
            "department": ticket.department, "document_number": document_number, "signer": signer,
            "answer_class": answer_class, "text": text, "contact": contact, "created_by": actor,
            "created_at": clock.now()})
    if signed_copy is not None:
        _keep_signed_copy(actor, letter, signed_copy)
    payload = {"reply_text": f"（{document_number}，{letter.get_answer_class_display()}）\n{text}",
               "result": RESULT[answer_class]}
    try:
        with transaction.atomic():
            tickets.perform(ticket.number, Action.REPLY, actor=actor, **payload)
    except ServiceError as exc:
        if exc.code != "review_required":
            raise
        tickets.perform(ticket.number, Action.SUBMIT_REPLY, actor=actor, **payload)
    return letter


@transaction.atomic
def attach_signed_copy(actor, ticket_number: str, letter_round: int, upload) -> ReplyLetter:
    """The signed and stamped copy, uploaded after the answer (the usual order: generate, sign, scan)."""
    proposal = get(actor, ticket_number)
    letter = proposal.letters.filter(round=letter_round).first()
    if letter is None:
        raise NotFound("答复函不存在", code="letter_not_found")
    department = department_of(actor)
    if department is None or letter.department_id not in subtree_ids(department):
        raise PermissionDenied("只有主办单位可以上传签章件", code="proposal_not_lead")
    _keep_signed_copy(actor, letter, upload)
    return letter


def _keep_signed_copy(actor, letter: ReplyLetter, upload) -> None:
    """The signed copy as the ticket's 答复材料 (the ticket's own attachment action), linked to the letter."""
    ticket = letter.proposal.ticket
    tickets.perform(ticket.number, Action.ATTACH, actor=actor, file=upload, purpose=Attachment.Purpose.REPLY)
    letter.signed_copy = Attachment.objects.filter(ticket=ticket, uploaded_by=actor).order_by("-pk").first()
    letter.save(update_fields=["signed_copy"])


def letter_docx(letter: ReplyLetter) -> bytes:
    """The 答复函 as a Word document in the usual layout: 文号 top right, title, the deputy addressed, the text, the
    answer class, the unit and date, 签发人 and the contact."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    proposal = letter.proposal
    ticket = proposal.ticket
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "FangSong", Pt(16)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")

    def para(text, *, align=None, bold=False, size=None, indent=False):
        p = doc.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        return p

    para(letter.document_number, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(f"答复类别：{letter.answer_class}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    kind = "建议" if proposal.body == Body.NPC else "提案"
    para(f"关于{proposal.session}第{proposal.number:04d}号{kind}的答复", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True,
         size=22)
    para(f"{proposal.proposer}{'代表' if proposal.body == Body.NPC else '委员'}：")
    para(f"您提出的《{ticket.title}》收悉，现答复如下：", indent=True)
    for block in letter.text.splitlines():
        if block.strip():
            para(block.strip(), indent=True)
    para(f"本件答复为{letter.get_answer_class_display()}。", indent=True)
    para("感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见。", indent=True)
    para(letter.department.name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    day = clock.local_day(letter.created_at)
    para(f"{day.year}年{day.month}月{day.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(f"签发人：{letter.signer}")
    if letter.contact:
        para(f"联系人及电话：{letter.contact}")
    from jiesu.tickets.models import AssistPart

    joint = list(AssistPart.objects.filter(ticket=ticket).order_by("pk").values_list("department__name", flat=True))
    if joint:
        para(f"抄送：{'、'.join(joint)}（会办单位）")
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- the deputy's evaluation

@transaction.atomic
def evaluate(actor, ticket_number: str, data) -> Ticket:
    """代表/委员评价, recorded by the liaison office: 满意/基本满意/不满意 as the ticket's 回访; 不满意 with
    `redo` sends it back to the lead unit for 重办 (once)."""
    if not has_perm(actor, "proposal.register"):
        raise PermissionDenied("只有建议提案联络员可以登记评价", code="proposal_forbidden")
    proposal = get(actor, ticket_number)
    satisfaction = str(data.get("satisfaction") or "")
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED):
        raise ValidationFailed({"satisfaction": "请选择满意、基本满意或不满意"})
    note = str(data.get("note") or "").strip()[:500]
    redo = str(data.get("redo") or "") in ("1", "on", "true")
    if redo and satisfaction != Satisfaction.UNSATISFIED:
        raise ValidationFailed({"redo": "只有不满意的答复可以要求重办"})
    ticket = tickets.perform(proposal.ticket.number, Action.CALLBACK, actor=actor, status="reached",
                             satisfaction=satisfaction, resolved=satisfaction != Satisfaction.UNSATISFIED,
                             note=note)
    if redo:
        ticket = tickets.perform(ticket.number, Action.REDO, actor=actor,
                                 note=f"{'代表' if proposal.body == Body.NPC else '委员'}对答复不满意，要求重办" +
                                      (f"：{note}" if note else ""))
    return ticket


# ---------------------------------------------------------------- the rules on the lifecycle seam

def before_move(ticket, action):
    """Refuse what this flow does not allow, whoever asks and through whichever page or API."""
    if ticket.channel not in PROPOSAL_CHANNELS:
        return None
    if action in (Action.REPLY, Action.SUBMIT_REPLY):
        proposal = Proposal.objects.filter(ticket=ticket).first()
        if proposal is None:
            return None  # a ticket on the channel without a registered proposal: the ordinary rules
        if not proposal.consultations.exists():
            raise Conflict("答复前须先记录与代表/委员的沟通面商", code="proposal_needs_consultation")
        if not proposal.letters.filter(round=redo_count(ticket) + 1).exists():
            raise Conflict("建议提案须以答复函答复，请在建议提案页面填写答复函", code="proposal_needs_letter")
    if action == Action.REDO and redo_count(ticket) >= REDO_LIMIT:
        raise Conflict("建议提案只能重办一次", code="proposal_redo_limit")
    return None


# ---------------------------------------------------------------- the annual statement

@dataclass
class UnitLine:
    department: Department | None
    label: str
    count: int = 0
    due: int = 0  # answered, or past its deadline
    on_time: int = 0
    met: int = 0  # with a 见面 consultation
    evaluated: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    classes: dict = field(default_factory=lambda: dict.fromkeys("ABCD", 0))

    @property
    def on_time_rate(self):
        return self.on_time / self.due if self.due else None

    @property
    def meeting_rate(self):
        return self.met / self.count if self.count else None

    @property
    def satisfaction_rate(self):
        return self.satisfied / self.evaluated if self.evaluated else None

    def share(self, answer_class: str):
        answered = sum(self.classes.values())
        return self.classes[answer_class] / answered if answered else None


def statement(year: int, body: str = "") -> tuple[UnitLine, list[UnitLine]]:
    """The year's account, by 主办 unit and in total: 件数; 按期办结率 (answered by the deadline, over those answered
    or past it); 见面率 (with a 见面 沟通, over all); 满意率 ((满意 + 基本满意) over those with a standing evaluation:
    one sent back for 重办 waits for its new one); the answer classes of each proposal's latest 答复函."""
    rows = Proposal.objects.filter(year=year).select_related("ticket")
    if body:
        rows = rows.filter(body=body)
    rows = rows.annotate(met=Exists(Consultation.objects.filter(proposal=OuterRef("pk"),
                                                                form=Consultation.Form.MEETING)))
    latest = {p: c for p, c in ReplyLetter.objects.filter(proposal__in=rows).order_by("round")
              .values_list("proposal_id", "answer_class")}
    now = clock.now()
    lines: dict[int | None, UnitLine] = {}
    departments = {d.pk: d for d in Department.objects.filter(
        pk__in=rows.values("ticket__department_id"))}
    total = UnitLine(None, "合计")
    for p in rows:
        t = p.ticket
        line = lines.setdefault(t.department_id, UnitLine(departments.get(t.department_id),
                                                         departments[t.department_id].name if t.department_id
                                                         in departments else "未交办"))
        for target in (line, total):
            target.count += 1
            answered = t.replied_at is not None
            if answered or (t.reply_due_at and t.reply_due_at < now):
                target.due += 1
                if answered and (t.reply_due_at is None or t.replied_at <= t.reply_due_at):
                    target.on_time += 1
            target.met += int(p.met)
            if t.satisfaction:
                target.evaluated += 1
                target.satisfied += int(t.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC))
            if p.pk in latest:
                target.classes[latest[p.pk]] += 1
    return total, sorted(lines.values(), key=lambda line: (-line.count, line.label))


def statement_workbook(year: int, body: str = "") -> bytes:
    from openpyxl import Workbook

    from jiesu.kpi import excel

    total, lines = statement(year, body)
    book = Workbook()
    ws = book.active
    ws.title = "办理情况"
    headers = ["主办单位", "件数", "按期办结率", "见面率", "满意率", "A类", "B类", "C类", "D类"]
    excel.sheet(ws, headers, [[line.label, line.count, line.on_time_rate, line.meeting_rate, line.satisfaction_rate,
                               *[line.share(c) for c in "ABCD"]] for line in [*lines, total]],
                {i: excel.PERCENT for i in range(2, 9)}, widths={0: 30})
    rows = (Proposal.objects.filter(year=year, **({"body": body} if body else {}))
            .select_related("ticket", "ticket__department").order_by("body", "number"))
    excel.sheet(book.create_sheet("明细"), ["类别", "届次会议", "编号", "案由", "主办单位", "状态", "答复期限", "答复时间",
                                           "评价"],
                [[p.get_body_display(), p.session, p.number, p.ticket.title,
                  p.ticket.department.name if p.ticket.department_id else "", p.ticket.get_state_display(),
                  _local(p.ticket.reply_due_at), _local(p.ticket.replied_at), p.ticket.get_satisfaction_display()]
                 for p in rows], widths={3: 40, 4: 24})
    return excel.save(book)


def _local(moment) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def years() -> list[int]:
    found = list(Proposal.objects.values_list("year", flat=True).distinct().order_by("-year"))
    this = clock.today().year
    return found if this in found else [this, *found]
