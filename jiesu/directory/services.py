"""Directory look-ups that other apps call: department subtrees and category → department routing."""

from .models import Category, Department, Region


def subtree_ids(node: Department | Region | Category) -> list[int]:
    """The node (a department, region or category) and everything below it (from the in-memory directory)."""
    from .snapshot import directory

    return directory().subtree_ids(type(node), node.pk)


def is_descendant(candidate: Department, ancestor: Department) -> bool:
    """True if candidate sits strictly below ancestor in the tree."""
    node = candidate.parent
    while node is not None:
        if node.pk == ancestor.pk:
            return True
        node = node.parent
    return False


def suggest_department(category: Category | None, region: Region | None = None) -> Department | None:
    """The department a category goes to: a route for the region (or a parent region), else the default,
    walking up the category tree until one is found. Answered from the in-memory directory (no query)."""
    from .snapshot import directory

    if category is None:
        return None
    return directory().suggest(category.pk, region.pk if region is not None else None)
