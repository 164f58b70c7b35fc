"""Back-office editing of holidays and time-limit rules. Every save asks why and is recorded in ConfigChange."""

from django import forms
from django.contrib import admin
from django.forms.models import model_to_dict

from . import services
from .models import CalendarDay, ConfigChange, TimeLimitRule

REASON_HELP = "必填：为什么修改（例如：依据国务院办公厅2027年节假日安排通知）"


class CalendarDayForm(forms.ModelForm):
    restore = forms.BooleanField(label="恢复为普通日（按周一至周五上班）", required=False)
    reason = forms.CharField(label="修改原因", max_length=200, help_text=REASON_HELP)

    class Meta:
        model = CalendarDay
        fields = ["day", "type", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["day", "type", "name", "updated_at"]
    list_filter = ["type"]
    date_hierarchy = "day"
    search_fields = ["name"]

    def get_fields(self, request, obj=None):
        return ["day", "type", "name", "reason"] + (["restore"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["day"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # use "恢复为普通日" so the change carries a reason

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.set_calendar_day(
            obj.day,
            type=None if data.get("restore") else data["type"],
            name=data.get("name", ""),
            actor=request.user,
            reason=data["reason"],
        )


class TimeLimitRuleForm(forms.ModelForm):
    reason = forms.CharField(label="修改原因", max_length=200, help_text=REASON_HELP)

    class Meta:
        model = TimeLimitRule
        fields = [
            "name", "kind", "urgency", "channel", "category", "is_complex", "enterprise", "wage_arrears", "priority",
            "sign_limit", "sign_unit", "contact_limit", "contact_unit", "reply_limit", "reply_unit",
            "callback_limit", "callback_unit", "source", "active",
        ]


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(admin.ModelAdmin):
    form = TimeLimitRuleForm
    list_display = ["name", "kind", "urgency", "channel", "category", "is_complex", "enterprise", "wage_arrears",
                    "priority", "sign_limit", "sign_unit", "reply_limit", "reply_unit", "active"]
    list_filter = ["active", "urgency", "kind", "channel"]
    autocomplete_fields = ["category"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead, so history keeps pointing at the rule

    def save_model(self, request, obj, form, change):
        before = model_to_dict(TimeLimitRule.objects.get(pk=obj.pk)) if change else None
        services.save_rule(obj, before=before, actor=request.user, reason=form.cleaned_data["reason"])


@admin.register(ConfigChange)
class ConfigChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "key", "actor", "reason"]
    list_filter = ["subject"]
    search_fields = ["key", "reason"]
    readonly_fields = ["created_at", "subject", "key", "before", "after", "actor", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
