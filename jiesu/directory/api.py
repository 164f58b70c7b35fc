from ninja import Router, Schema

from jiesu.core.schemas import choice

from .models import Category, Department, Region

router = Router(tags=["目录"])


class DepartmentOut(Schema):
    code: str
    name: str
    kind: choice(Department.Kind)
    kind_label: str
    parent: str | None
    region: str | None
    active: bool


class RegionOut(Schema):
    code: str
    name: str
    level: choice(Region.Level)
    parent: str | None


class CategoryOut(Schema):
    code: str
    name: str
    path: str
    level: int
    parent: str | None
    default_department: str | None
    active: bool


@router.get("/departments", response=list[DepartmentOut], summary="承办单位")
def list_departments(request, active: bool | None = None):
    queryset = Department.objects.select_related("parent", "region")
    if active is not None:
        queryset = queryset.filter(active=active)
    return [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "kind_label": d.get_kind_display(),
            "parent": d.parent.code if d.parent else None,
            "region": d.region.code if d.region else None,
            "active": d.active,
        }
        for d in queryset
    ]


@router.get("/regions", response=list[RegionOut], summary="行政区划")
def list_regions(request):
    return [
        {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent.code if r.parent else None}
        for r in Region.objects.select_related("parent")
    ]


@router.get("/categories", response=list[CategoryOut], summary="诉求分类")
def list_categories(request):
    categories = list(Category.objects.select_related("default_department"))
    by_id = {c.pk: c for c in categories}
    for c in categories:  # resolve parents from the list, not with a query per row
        c.parent = by_id.get(c.parent_id)
    return [
        {
            "code": c.code,
            "name": c.name,
            "path": c.path_name,
            "level": c.level,
            "parent": c.parent.code if c.parent else None,
            "default_department": c.default_department.code if c.default_department else None,
            "active": c.active,
        }
        for c in categories
    ]
