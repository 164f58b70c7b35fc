"""The directory in memory: regions, departments, categories and their routes, and each user's unit and roles.

Every ticket registered, dispatched or routed needs these, and they change a few times a day: each process keeps
one copy (core.stamps.Cached) and reloads it when the directory changes anywhere (the signals in apps.py bump the
stamp). The objects are shared between requests: read them, assign them to foreign keys, never save them.
"""

from dataclasses import dataclass, field

from jiesu.core.stamps import Cached

from .models import Category, CategoryRoute, Department, Region, Staff, StaffRole

DIRECTORY = "directory"
STAFF = "staff"


@dataclass
class Directory:
    regions: dict[int, Region] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    routes: dict[tuple[int, int], int] = field(default_factory=dict)  # (category, region) → department
    region_codes: dict[str, Region] = field(default_factory=dict)
    department_codes: dict[str, Department] = field(default_factory=dict)
    category_codes: dict[str, Category] = field(default_factory=dict)
    top_category_names: dict[str, Category] = field(default_factory=dict)  # level-1 names (routing labels)
    children: dict[tuple[type, int], list[int]] = field(default_factory=dict)  # (model, id) → child ids

    def subtree_ids(self, model: type, pk: int) -> list[int]:
        """The node and everything below it."""
        ids, frontier = [pk], [pk]
        while frontier:
            frontier = [c for p in frontier for c in self.children.get((model, p), ())]
            ids.extend(frontier)
        return ids

    def region(self, code: str) -> Region | None:
        return self.region_codes.get(code)

    def category(self, code: str, *, active: bool = True) -> Category | None:
        category = self.category_codes.get(code)
        return category if category is not None and (category.active or not active) else None

    def department(self, code: str, *, active: bool = True) -> Department | None:
        department = self.department_codes.get(code)
        return department if department is not None and (department.active or not active) else None

    def attach(self, obj, *names: str) -> None:
        """Point a loaded row's directory foreign keys (e.g. a ticket's region, category, department) at the
        shared instances, so reading them costs no query. Keys already loaded are left alone."""
        tables = {Region: self.regions, Department: self.departments, Category: self.categories}
        for name in names:
            descriptor = type(obj).__dict__[name]
            if descriptor.is_cached(obj):
                continue
            value = getattr(obj, descriptor.field.attname)
            if value is not None and value in tables[descriptor.field.related_model]:
                descriptor.field.set_cached_value(obj, tables[descriptor.field.related_model][value])

    def suggest(self, category_id: int | None, region_id: int | None) -> Department | None:
        """The department a category goes to in a region: a route for the region or one above it, else the
        category's default, walking up the category tree until one is found (directory.services.suggest_department)."""
        regions = []
        region = self.regions.get(region_id)
        while region is not None:
            regions.append(region.pk)
            region = self.regions.get(region.parent_id)
        node = self.categories.get(category_id)
        while node is not None:
            for r in regions:
                department = self.departments.get(self.routes.get((node.pk, r)))
                if department is not None and department.active:
                    return department
            default = self.departments.get(node.default_department_id)
            if default is not None and default.active:
                return default
            node = self.categories.get(node.parent_id)
        return None


def _link(model, objects: dict, name: str, targets: dict) -> None:
    """Point each object's foreign key `name` at the shared instance, so walking up a tree never queries."""
    field = model._meta.get_field(name)
    for obj in objects.values():
        field.set_cached_value(obj, targets.get(getattr(obj, field.attname)))


def _load_directory() -> Directory:
    d = Directory()
    d.regions = {r.pk: r for r in Region.objects.all()}
    d.departments = {x.pk: x for x in Department.objects.all()}
    d.categories = {c.pk: c for c in Category.objects.all()}
    d.routes = {(r.category_id, r.region_id): r.department_id for r in CategoryRoute.objects.all()}
    _link(Region, d.regions, "parent", d.regions)
    _link(Department, d.departments, "parent", d.departments)
    _link(Department, d.departments, "region", d.regions)
    _link(Category, d.categories, "parent", d.categories)
    _link(Category, d.categories, "default_department", d.departments)
    d.region_codes = {r.code: r for r in d.regions.values()}
    d.department_codes = {x.code: x for x in d.departments.values()}
    d.category_codes = {c.code: c for c in d.categories.values()}
    for model, objects in ((Region, d.regions), (Department, d.departments), (Category, d.categories)):
        for obj in objects.values():
            if obj.parent_id is not None:
                d.children.setdefault((model, obj.parent_id), []).append(obj.pk)
    d.top_category_names = {c.name: c for c in d.categories.values() if c.level == 1}
    return d


_directory = Cached(DIRECTORY, _load_directory)
_staff: Cached[dict] = Cached(STAFF, dict)  # user id → (department id, roles), filled as users act


def directory() -> Directory:
    return _directory.get()


def staff_facts(user_id: int) -> tuple[int | None, frozenset[str]]:
    """A user's department id and roles (none for a user without a Staff row)."""
    known = _staff.get()
    facts = known.get(user_id)
    if facts is None:
        staff = Staff.objects.filter(user_id=user_id).values_list("pk", "department_id").first()
        roles = frozenset(StaffRole.objects.filter(staff_id=staff[0]).values_list("role", flat=True)) if staff else frozenset()
        facts = known[user_id] = (staff[1] if staff else None, roles)
    return facts


def clear() -> None:
    _directory.clear()
    _staff.clear()
