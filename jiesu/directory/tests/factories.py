import factory
from django.contrib.auth import get_user_model

from jiesu.directory.models import Category, Department, Region, Staff, StaffRole


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:05d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    level = Region.Level.DISTRICT


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Department.Kind.BUREAU


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"测试分类{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"工作人员{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-12345")


def make_staff(role: str, department: Department, **kwargs):
    """A user with a department and one or more roles ("handler" or "handler,supervisor")."""
    user = UserFactory(**kwargs)
    user.save()
    staff = Staff.objects.create(user=user, department=department)
    for r in role.split(","):
        StaffRole.objects.create(staff=staff, role=r)
    return user
