"""The daily rollup the dashboard reads, and per-unit targets."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .definitions import COUNTS, RATES

DIMENSIONS = ("department_id", "region_id", "category_id", "channel", "kind", "enterprise")
# The rollup holds the same counts at several grains ("cubes"): every dimension, and the department alone or
# with one other dimension. A query reads the smallest cube that has the dimensions it filters or groups by;
# in a coarse cube the dimensions it lacks are 0 / "". At city scale the full cube has about as many rows
# as there are tickets, while the department cube has a few hundred a day.
CUBES: dict[int, tuple[str, ...]] = {
    1: ("department_id",),
    2: ("department_id", "region_id"),
    3: ("department_id", "category_id"),
    4: ("department_id", "channel"),
    5: ("department_id", "kind"),
    6: ("department_id", "enterprise"),
    0: DIMENSIONS,
}


class KpiDaily(models.Model):
    """Counts per local day and per combination of the ticket's dimensions, kept equal to a recomputation
    from raw tickets: every ticket write applies its change in the same transaction
    (services.record_change), and
    `jiesu kpi verify` proves it. Ids are plain integers with 0 for "none" so that the unique key works
    (NULLs never conflict); the rollup is rebuilt, not migrated, if the directory is renumbered."""

    cube = models.PositiveSmallIntegerField(default=0)
    day = models.DateField()
    department_id = models.BigIntegerField(default=0)
    region_id = models.BigIntegerField(default=0)
    category_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    enterprise = models.PositiveSmallIntegerField(default=0)  # 1: 涉企诉求 (tickets.models.concerns_enterprise)
    dispatched = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    callbacks = models.IntegerField(default=0)
    callbacks_valid = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    due_closed = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = "指标日汇总"
        verbose_name_plural = "指标日汇总"
        constraints = [
            models.UniqueConstraint(fields=["cube", "day", *DIMENSIONS], name="uniq_kpi_daily_cube"),
        ]
        indexes = [models.Index(fields=["cube", "department_id", "day"]), models.Index(fields=["cube", "day"])]

    def __str__(self):
        return f"{self.day} 单位{self.department_id} 派单{self.dispatched}"


assert set(COUNTS) == {f.name for f in KpiDaily._meta.fields} - {"id", "cube", "day", *DIMENSIONS}


class KpiTarget(models.Model):
    """目标值 of one rate, for one unit (and its sub-units) or, without a unit, city-wide."""

    rate = models.CharField("指标", max_length=20, choices=[(k, r.label) for k, r in RATES.items()])
    department = models.ForeignKey(
        "directory.Department", verbose_name="承办单位", null=True, blank=True, on_delete=models.CASCADE,
        help_text="留空表示全市默认",
    )
    value = models.DecimalField("目标值", max_digits=5, decimal_places=4,
                                validators=[MinValueValidator(0), MaxValueValidator(1)], help_text="0–1，例如 0.9")

    class Meta:
        verbose_name = "考核目标"
        verbose_name_plural = "考核目标"
        constraints = [
            models.UniqueConstraint(fields=["rate", "department"], name="uniq_kpi_target"),
            models.UniqueConstraint(fields=["rate"], condition=models.Q(department__isnull=True),
                                    name="uniq_kpi_default_target"),
        ]

    def __str__(self):
        return f"{self.get_rate_display()} {self.department or '全市'} {self.value:.2%}"
