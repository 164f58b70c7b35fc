"""Trained routing models (versioned, one active) and every prediction with the human's final choice."""

from django.conf import settings
from django.db import models


class RoutingModel(models.Model):
    class Level(models.TextChoices):
        CATEGORY = "category", "诉求分类"
        DEPARTMENT = "department", "承办单位"

    name = models.CharField("名称", max_length=80)
    level = models.CharField("预测对象", max_length=20, choices=Level.choices, default=Level.CATEGORY)
    labels = models.JSONField("标签", default=list)
    params = models.JSONField("参数", default=dict)
    training = models.JSONField("训练数据概况", default=dict)
    evaluation = models.JSONField("评估结果", default=dict, blank=True)
    blob = models.BinaryField("模型")
    active = models.BooleanField("启用", default=False)
    created_at = models.DateTimeField("训练时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "派单模型"
        verbose_name_plural = "派单模型"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_routing_model")
        ]

    def __str__(self):
        return f"#{self.pk} {self.name}{'（启用）' if self.active else ''}"


class Prediction(models.Model):
    """What the router suggested for a ticket, and what the dispatcher finally chose."""

    class Source(models.TextChoices):
        INTAKE = "intake", "登记时"
        AUTO = "auto", "自动派单"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="predictions")
    model = models.ForeignKey(RoutingModel, null=True, on_delete=models.SET_NULL, related_name="predictions")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.INTAKE)
    suggestions = models.JSONField("建议", default=list)  # [{label, name, probability}]
    category = models.ForeignKey(
        "directory.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "directory.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField("置信度", default=0.0)
    terms = models.JSONField("依据词", default=list)
    created_at = models.DateTimeField()
    final_category = models.ForeignKey(
        "directory.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final_department = models.ForeignKey(
        "directory.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "派单预测"
        verbose_name_plural = "派单预测"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"])]  # the KPI page's routing accuracy per period

    def __str__(self):
        return f"{self.ticket_id}: {self.department_id} ({self.confidence:.2f})"

    @property
    def correct(self) -> bool | None:
        if self.final_department_id is None:
            return None
        return self.final_department_id == self.department_id
