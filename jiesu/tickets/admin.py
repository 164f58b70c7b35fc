"""Read-only views of tickets for administrators. Tickets change only through services (the workflow)."""

from django.contrib import admin

from .models import Attachment, ExtensionRequest, ReplyReviewRule, Ticket, TicketEvent


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "action", "from_state", "to_state", "actor", "department", "note"]
    readonly_fields = fields
    extra = 0


class ExtensionInline(ReadOnlyMixin, admin.TabularInline):
    model = ExtensionRequest
    fields = ["requested_at", "requested_due_at", "status", "reason", "decided_by", "decision_note"]
    readonly_fields = fields
    extra = 0


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = ["name", "purpose", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "title", "kind", "channel", "state", "department", "created_at"]
    list_filter = ["state", "kind", "channel", "urgency"]
    search_fields = ["number", "title", "content"]
    list_select_related = ["department"]
    inlines = [EventInline, ExtensionInline, AttachmentInline]


@admin.register(ReplyReviewRule)
class ReplyReviewRuleAdmin(admin.ModelAdmin):
    """答复审核规则: which answers the hotline centre reads before they go to callback (by category or unit)."""

    list_display = ["__str__", "category", "department", "sendback_counts_as_redo", "active"]
    list_filter = ["active", "sendback_counts_as_redo"]
    autocomplete_fields = ["category", "department"]
