"""承办单位, 行政区划, 诉求分类 and staff with their roles."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Region(models.Model):
    """行政区划: 区 → 街道/乡镇 → 社区/村."""

    class Level(models.IntegerChoices):
        DISTRICT = 1, "区"
        STREET = 2, "街道/乡镇"
        COMMUNITY = 3, "社区/村"

    code = models.CharField("区划代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent is None and self.level != self.Level.DISTRICT:
            raise ValidationError({"parent": "街道/乡镇和社区/村必须有上级区划"})
        if self.parent is not None and self.level != self.parent.level + 1:
            raise ValidationError({"level": "层级必须比上级低一级"})


class Department(models.Model):
    """承办单位: a body that receives and handles tickets. A tree; sub-units handle what their parent 下派s."""

    class Kind(models.TextChoices):
        HOTLINE_CENTER = "hotline", "热线服务中心"
        GOVERNMENT = "government", "市/区级机关"
        BUREAU = "bureau", "委办局"
        STREET = "street", "街道/乡镇"
        COMMUNITY = "community", "社区/村"
        ENTERPRISE = "enterprise", "公共服务企业"

    code = models.CharField("单位编码", max_length=30, unique=True)
    name = models.CharField("单位名称", max_length=80)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.ForeignKey(
        Region, verbose_name="所在区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "承办单位"
        verbose_name_plural = "承办单位"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "上级单位不能是本单位或其下级单位"})
            ancestor = ancestor.parent


class Category(models.Model):
    """诉求分类, up to three levels. A leaf names the department that handles it by default."""

    MAX_LEVEL = 3

    code = models.CharField("分类编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=60)
    parent = models.ForeignKey(
        "self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField("层级", editable=False, default=1)
    default_department = models.ForeignKey(
        Department,
        verbose_name="默认承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="default_for_categories",
    )
    active = models.BooleanField("启用", default=True)
    wage_arrears = models.BooleanField(
        "欠薪线索", default=False,
        help_text="该分类及其下级的诉求按欠薪线索办理：登记欠薪信息，适用欠薪线索时限规则，办结前登记追回情况")

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["code"]

    def __str__(self):
        return self.path_name

    def save(self, *args, **kwargs):
        # level is derived from the parent; the admin cannot set it by hand.
        self.level = 1 if self.parent is None else self.parent.level + 1
        super().save(*args, **kwargs)

    @property
    def path_name(self) -> str:
        names = []
        node = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def clean(self):
        if self.parent is not None and self.parent.level >= self.MAX_LEVEL:
            raise ValidationError({"parent": f"诉求分类最多{self.MAX_LEVEL}级"})


def is_wage_arrears(category) -> bool:
    """A 欠薪线索 category: the category or one above it is marked so (docs/channels.md)."""
    while category is not None:
        if category.wage_arrears:
            return True
        category = category.parent
    return False


class CategoryRoute(models.Model):
    """A region where a category goes to another department than its default (e.g. 供热 by district company)."""

    category = models.ForeignKey(
        Category, verbose_name="诉求分类", on_delete=models.CASCADE, related_name="routes"
    )
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, verbose_name="承办单位", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "分区派单规则"
        verbose_name_plural = "分区派单规则"
        constraints = [models.UniqueConstraint(fields=["category", "region"], name="uniq_category_route_region")]

    def __str__(self):
        return f"{self.category} @ {self.region} → {self.department}"


class Role(models.TextChoices):
    OPERATOR = "operator", "话务员"
    DISPATCHER = "dispatcher", "派单员"
    HANDLER = "handler", "承办人"
    SUPERVISOR = "supervisor", "督办员"
    ADMIN = "admin", "管理员"
    LEADER = "leader", "领导"
    PARTNER = "partner", "合作方系统"
    TELEPHONY = "telephony", "话务系统"  # the call centre's telephony (CTI): announces calls to operators
    HELPER = "helper", "帮办员"  # 帮办代办: follows the enterprises (or matters) assigned to them through every unit
    LIAISON = "liaison", "建议提案联络员"  # 人大/政协 liaison: registers 建议/提案, hands them to units, records the evaluation
    POLICE110 = "police110", "110联动系统"  # the 110 police dispatch system's account (jiesu.channels.police)
    PETITION = "petition", "信访干部"  # 信访办: registers 信访事项, hands them to units, assigns a 代办员 (channels.petitions)
    PETITION_AGENT = "petition_agent", "信访代办员"  # follows the 信访事项 assigned to them to the end: 事了 and 心解


class Staff(models.Model):
    """A user's place in the organisation: one department, one or more roles."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    department = models.ForeignKey(
        Department, verbose_name="所属单位", on_delete=models.PROTECT, related_name="staff"
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.department}）"


class StaffRole(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [models.UniqueConstraint(fields=["staff", "role"], name="uniq_staff_role")]

    def __str__(self):
        return self.get_role_display()
