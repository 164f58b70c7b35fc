"""Directory look-ups that other apps call: department subtrees and category → department routing."""

from .models import Category, CategoryRoute, Department, Region


def subtree_ids(node: Department | Region | Category) -> list[int]:
    """The node (a department, region or category) and everything below it (one query per level; the
    trees are a few levels deep)."""
    model = type(node)
    ids = [node.pk]
    frontier = [node.pk]
    while frontier:
        frontier = list(model.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def is_descendant(candidate: Department, ancestor: Department) -> bool:
    """True if candidate sits strictly below ancestor in the tree."""
    node = candidate.parent
    while node is not None:
        if node.pk == ancestor.pk:
            return True
        node = node.parent
    return False


def region_ancestry(region: Region | None) -> list[Region]:
    chain = []
    while region is not None:
        chain.append(region)
        region = region.parent
    return chain


def suggest_department(category: Category | None, region: Region | None = None) -> Department | None:
    """The department a category goes to: a route for the region (or a parent region), else the default,
    walking up the category tree until one is found. One query for the routes of the whole chain."""
    chain = []
    node = category
    while node is not None:
        chain.append(node)
        node = node.parent
    regions = region_ancestry(region)
    routes = {}
    if chain and regions:
        for r in CategoryRoute.objects.filter(category__in=chain, region__in=regions).select_related("department"):
            routes[(r.category_id, r.region_id)] = r.department
    for node in chain:
        for r in regions:
            department = routes.get((node.pk, r.pk))
            if department is not None and department.active:
                return department
        if node.default_department_id and node.default_department.active:
            return node.default_department
    return None
