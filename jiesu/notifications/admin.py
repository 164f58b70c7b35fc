"""消息模板 (with a preview), the outbox with its dead letters (发送失败: send again), 短信退订."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html, format_html_join

from jiesu.core.masking import mask_phone
from jiesu.core.stamps import bump

from . import delivery, templates
from .models import Channel, Delivery, MessageTemplate, SmsOptOut


class MessageTemplateForm(forms.ModelForm):
    code = forms.ChoiceField(label="模板", choices=templates.choices)

    class Meta:
        model = MessageTemplate
        fields = ["code", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "cols": 90})}

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        unknown = sorted({m for m in templates._PLACEHOLDER.findall(text) if m not in templates.SAMPLE})
        if unknown:
            raise forms.ValidationError(f"未知的占位符：{'、'.join('{' + u + '}' for u in unknown)}")
        return text


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["label", "text", "updated_at"]
    readonly_fields = ["preview", "default_text", "placeholders"]
    fields = ["code", "text", "preview", "default_text", "placeholders"]

    @admin.display(description="模板")
    def label(self, obj):
        return templates.label(obj.code)

    @admin.display(description="预览（示例数据）")
    def preview(self, obj):
        if not obj.pk:
            return "点“保存并继续编辑”后，这里显示用示例数据填入后的短信"
        text = templates.render(obj.text, templates.SAMPLE)
        return format_html("<div style='max-width:640px;white-space:pre-wrap'>{}</div><div class='help'>{} 字，"
                           "约 {} 条短信</div>", text, len(text), (len(text) + 66) // 67)

    @admin.display(description="内置文本")
    def default_text(self, obj):
        if obj.pk:
            return templates.DEFAULTS.get(obj.code, ("", ""))[1]
        return format_html_join("", "<div style='margin-bottom:6px'><b>{}</b>：{}</div>",
                                ((label, text) for label, text in templates.DEFAULTS.values()))

    @admin.display(description="可用占位符")
    def placeholders(self, obj):
        return "、".join("{" + k + "}" for k in templates.SAMPLE)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            bump(templates.STAMP)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            bump(templates.STAMP)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "channel", "template_label", "recipient", "status", "attempts",
                    "next_attempt_at", "short_error"]
    list_filter = ["status", "channel", "template"]
    actions = ["send_again"]
    search_fields = ["key", "ticket__number"]
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "to"] + ["recipient"]
    exclude = ["to"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="接收方")
    def recipient(self, obj):
        return mask_phone(obj.to) if obj.channel == Channel.SMS else obj.to

    @admin.display(description="模板")
    def template_label(self, obj):
        return templates.label(obj.template)

    @admin.display(description="最近错误")
    def short_error(self, obj):
        return obj.last_error[:60]

    @admin.action(description="重新发送所选的发送失败消息")
    def send_again(self, request, queryset):
        n = delivery.requeue(queryset.values_list("pk", flat=True))
        messages.success(request, f"已重新排队 {n} 条消息")


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["masked", "note", "created_at"]
    search_fields = ["phone"]

    @admin.display(description="手机号码")
    def masked(self, obj):
        return mask_phone(obj.phone)
