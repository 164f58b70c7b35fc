"""The enterprise registry's actions: look an enterprise up by its 统一社会信用代码 (at intake), save one, and import a
register from Excel (all or nothing, errors named by row). Contacts are personal data: `contact_out` shows them
raw only to whoever may see callers (the same rule, `ticket.view_caller`), masked to everyone else."""

from django.db import transaction

from jiesu.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from jiesu.core.masking import mask_name, mask_phone
from jiesu.core.validators import is_valid_credit_code, is_valid_phone, normalize_phone, parse_day
from jiesu.directory.models import Region
from jiesu.directory.permissions import has_perm
from jiesu.kpi.excel import read_rows

from . import industry
from .models import Contact, Enterprise, Qualification, Scale

COLUMNS = ["统一社会信用代码", "企业名称", "行业大类", "企业规模", "所在区划", "经营地址", "成立日期", "从业人数", "资质",
           "联系人", "联系电话", "职务"]
MAX_ROWS = 20_000
_SCALES = {label: value for value, label in Scale.choices} | {f"{label}企业": value for value, label in Scale.choices}


def clean_code(value: str) -> str:
    """A 统一社会信用代码 as typed (spaces, lower case) → its canonical form, or ValidationFailed."""
    code = "".join((value or "").split()).upper()
    if not is_valid_credit_code(code):
        raise ValidationFailed({"credit_code": "统一社会信用代码无效（应为18位且校验位正确）"})
    return code


def find(user, credit_code: str) -> Enterprise:
    """The enterprise with this code, for intake: 404 if the registry does not know it."""
    if not has_perm(user, "enterprise.view"):
        raise PermissionDenied("您无权查看企业库", code="enterprise_forbidden")
    code = clean_code(credit_code)
    enterprise = (Enterprise.objects.select_related("region").prefetch_related("qualifications", "contacts")
                  .filter(credit_code=code).first())
    if enterprise is None:
        raise NotFound("企业库中没有该统一社会信用代码的企业", code="enterprise_not_found")
    return enterprise


def contact_out(user, contact: Contact, *, helper: bool = False) -> dict:
    """A contact as this reader may see it: raw for the hotline centre (who call them back) and for the
    enterprise's own 帮办员 (`helper`, who call on them), masked otherwise."""
    raw = helper or has_perm(user, "ticket.view_caller")
    return {"name": contact.name if raw else mask_name(contact.name),
            "phone": contact.phone if raw else mask_phone(contact.phone), "title": contact.title}


def _row(values: dict, regions: dict, qualifications: dict) -> tuple[dict, list[Qualification], dict | None]:
    """One spreadsheet row checked: the enterprise's fields, its qualifications and its contact (or None)."""
    errors = {}
    fields = {"name": values["企业名称"], "address": values["经营地址"]}
    try:
        fields["credit_code"] = clean_code(values["统一社会信用代码"])
    except ServiceError as exc:
        errors["统一社会信用代码"] = exc.detail
    if not fields["name"]:
        errors["企业名称"] = "必填"
    elif len(fields["name"]) > 100:
        errors["企业名称"] = "不超过100字"
    if len(fields["address"]) > 200:
        errors["经营地址"] = "不超过200字"
    fields["industry"] = industry.parse_division(values["行业大类"])
    if fields["industry"] is None:
        errors["行业大类"] = "应为国民经济行业分类大类代码（01–97）或其名称"
    fields["scale"] = _SCALES.get(values["企业规模"])
    if fields["scale"] is None:
        errors["企业规模"] = "应为大型、中型、小型或微型"
    region = values["所在区划"]
    fields["region"] = regions.get(region) if region else None
    if region and fields["region"] is None:
        errors["所在区划"] = f"区划不存在：{region}"
    fields["founded_on"] = parse_day(values["成立日期"][:10]) if values["成立日期"] else None
    if values["成立日期"] and fields["founded_on"] is None:
        errors["成立日期"] = "日期格式应为 YYYY-MM-DD"
    employees = values["从业人数"].removesuffix(".0")
    fields["employees"] = int(employees) if employees.isdecimal() else None
    if employees and fields["employees"] is None:
        errors["从业人数"] = "应为非负整数"
    names = [n.strip() for n in values["资质"].replace("，", "、").replace(",", "、").replace("；", "、")
             .replace(";", "、").split("、") if n.strip()]
    unknown = [n for n in names if n not in qualifications]
    if unknown:
        errors["资质"] = "未知资质：" + "、".join(unknown)
    contact = None
    if values["联系人"] or values["联系电话"]:
        phone = normalize_phone(values["联系电话"])
        if not values["联系人"]:
            errors["联系人"] = "填写联系电话时必填"
        if not is_valid_phone(phone):
            errors["联系电话"] = "电话号码无效"
        contact = {"name": values["联系人"][:50], "phone": phone, "title": values["职务"][:50]}
    if errors:
        raise ValidationFailed(errors)
    return fields, [qualifications[n] for n in names], contact


def import_workbook(user, content: bytes) -> dict:
    """企业名录 from Excel (headers as COLUMNS). A known code updates that enterprise (its qualifications replaced,
    its contact added or updated by phone); a new one is added. All or nothing: any bad row refuses the file,
    every error named by row and column."""
    if not has_perm(user, "enterprise.manage"):
        raise PermissionDenied("您无权维护企业库", code="enterprise_forbidden")
    body = read_rows(content, COLUMNS, max_rows=MAX_ROWS, unit="家企业")
    if not body:
        raise ValidationFailed({"file": "文件中没有企业"})
    regions = {r.code: r for r in Region.objects.all()} | {r.name: r for r in Region.objects.all()}
    qualifications = {q.name: q for q in Qualification.objects.all()}
    checked, errors, seen = [], {}, {}
    for number, values in body:
        try:
            fields, quals, contact = _row(values, regions, qualifications)
        except ServiceError as exc:
            errors[f"第{number}行"] = "；".join(f"{column}：{message}" for column, message in exc.fields.items())
            continue
        if fields["credit_code"] in seen:
            errors[f"第{number}行"] = f"统一社会信用代码：与第{seen[fields['credit_code']]}行重复"
            continue
        seen[fields["credit_code"]] = number
        checked.append((fields, quals, contact))
    if errors:
        raise ValidationFailed(errors, message=f"有 {len(errors)} 行有误，整个文件未导入，请改正后重新导入")
    done = {"created": 0, "updated": 0}
    with transaction.atomic():
        existing = Enterprise.objects.in_bulk([f["credit_code"] for f, _, _ in checked], field_name="credit_code")
        for fields, quals, contact in checked:
            enterprise = existing.get(fields["credit_code"])
            if enterprise is None:
                enterprise = Enterprise.objects.create(**fields)
                done["created"] += 1
            else:
                for name, value in fields.items():
                    setattr(enterprise, name, value)
                enterprise.save()
                done["updated"] += 1
            enterprise.qualifications.set(quals)
            if contact:
                Contact.objects.update_or_create(enterprise=enterprise, phone=contact["phone"],
                                                 defaults={"name": contact["name"], "title": contact["title"]})
    return done
