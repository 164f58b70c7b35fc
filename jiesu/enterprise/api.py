"""The enterprise registry over the API: look-up by 统一社会信用代码 (intake fills in the enterprise), Excel import."""

from datetime import date

from ninja import File, Router, Schema
from ninja.files import UploadedFile

from . import services

router = Router(tags=["企业服务"])


class ContactOut(Schema):
    name: str  # masked (张**) for readers who may not see callers
    phone: str
    title: str


class EnterpriseOut(Schema):
    credit_code: str
    name: str
    industry: str  # 国民经济行业分类大类代码
    industry_label: str  # "C 制造业 · 39 计算机、通信和其他电子设备制造业"
    scale: str
    scale_label: str
    region: str | None
    address: str
    founded_on: date | None
    employees: int | None
    qualifications: list[str]
    contacts: list[ContactOut]


class ImportOut(Schema):
    created: int
    updated: int


@router.post("/import", response=ImportOut, summary="从 Excel 导入企业名录",
             description="表头：" + "、".join(services.COLUMNS) + "。统一社会信用代码已有的企业更新，新的添加；"
             "任一行有误则整个文件不导入，错误按行列出（fields 的键为“第N行”）。")
def import_xlsx(request, file: File[UploadedFile]):
    return services.import_workbook(request.auth, file.read())


@router.get("/{credit_code}", response=EnterpriseOut, summary="按统一社会信用代码查企业",
            description="登记涉企诉求时按代码带出企业信息。代码无效 400，企业库中没有 404。")
def lookup(request, credit_code: str):
    enterprise = services.find(request.auth, credit_code)
    return {
        "credit_code": enterprise.credit_code, "name": enterprise.name, "industry": enterprise.industry,
        "industry_label": enterprise.industry_label, "scale": enterprise.scale,
        "scale_label": enterprise.get_scale_display(),
        "region": enterprise.region.code if enterprise.region_id else None, "address": enterprise.address,
        "founded_on": enterprise.founded_on, "employees": enterprise.employees,
        "qualifications": [q.name for q in enterprise.qualifications.all()],
        "contacts": [services.contact_out(request.auth, c) for c in enterprise.contacts.all()],
    }
