import pytest
from django.core.exceptions import ValidationError

from jiesu.directory.models import CategoryRoute, Region
from jiesu.directory.permissions import CATALOGUE, has_perm
from jiesu.directory.services import is_descendant, subtree_ids, suggest_department
from jiesu.directory.tests.factories import CategoryFactory, DepartmentFactory, RegionFactory


@pytest.mark.django_db
def test_subtree_and_descendants():
    root = DepartmentFactory()
    child = DepartmentFactory(parent=root)
    grandchild = DepartmentFactory(parent=child)
    other = DepartmentFactory()
    assert set(subtree_ids(root)) == {root.pk, child.pk, grandchild.pk}
    assert is_descendant(grandchild, root) and not is_descendant(root, grandchild)
    assert not is_descendant(other, root)


@pytest.mark.django_db
def test_category_levels_and_three_level_limit():
    top = CategoryFactory()
    mid = CategoryFactory(parent=top)
    leaf = CategoryFactory(parent=mid)
    assert (top.level, mid.level, leaf.level) == (1, 2, 3)
    with pytest.raises(ValidationError):
        CategoryFactory.build(parent=leaf).full_clean()


@pytest.mark.django_db
def test_suggest_department_prefers_the_regional_route_then_the_default_then_the_parent():
    district = RegionFactory(level=Region.Level.DISTRICT)
    street = RegionFactory(level=Region.Level.STREET, parent=district)
    community = RegionFactory(level=Region.Level.COMMUNITY, parent=street)
    bureau, street_office = DepartmentFactory(), DepartmentFactory()
    top = CategoryFactory(default_department=bureau)
    leaf = CategoryFactory(parent=top)
    assert suggest_department(leaf, None) == bureau  # inherited from the parent category
    CategoryRoute.objects.create(category=leaf, region=street, department=street_office)
    assert suggest_department(leaf, community) == street_office  # route of an ancestor region
    assert suggest_department(leaf, district) == bureau
    street_office.active = False
    street_office.save()
    assert suggest_department(leaf, community) == bureau
    assert suggest_department(None, community) is None


@pytest.mark.django_db
def test_region_level_must_follow_parent():
    district = RegionFactory(level=Region.Level.DISTRICT)
    with pytest.raises(ValidationError):
        Region(code="x", name="x", level=Region.Level.COMMUNITY, parent=district).full_clean()


def test_permission_catalogue_denies_unknown_codes_and_anonymous():
    from django.contrib.auth.models import AnonymousUser

    assert not has_perm(AnonymousUser(), "ticket.create")
    assert all(p.roles for p in CATALOGUE.values())
