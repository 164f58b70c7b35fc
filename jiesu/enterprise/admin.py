from django.contrib import admin

from .models import Contact, Enterprise, HelperAssignment, Policy, Qualification, Visit


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "phone", "title", "user"]
    raw_id_fields = ["user"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "industry_label", "scale", "region"]
    list_filter = ["scale", "qualifications"]
    search_fields = ["name", "credit_code"]
    filter_horizontal = ["qualifications"]
    inlines = [ContactInline]

    @admin.display(description="行业")
    def industry_label(self, obj):
        return obj.industry_label


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(HelperAssignment)
class HelperAssignmentAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "helper", "ticket", "assigned_at", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["enterprise__name", "enterprise__credit_code", "helper__username"]
    raw_id_fields = ["enterprise", "helper", "ticket", "assigned_by"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "visited_on", "form", "helper"]
    list_filter = ["form"]
    search_fields = ["enterprise__name", "note"]
    raw_id_fields = ["enterprise", "helper", "ticket"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Read and tidy only: policies are written, reviewed and pushed on their pages (/policies/), which keep the
    rules (who may edit, review, push)."""

    list_display = ["code", "title", "department", "status", "automatic", "valid_until"]
    list_filter = ["status", "automatic", "benefit_form"]
    search_fields = ["code", "title", "document_number"]
    readonly_fields = ["code", "status", "created_by", "reviewed_by", "reviewed_at", "created_at", "updated_at"]
    filter_horizontal = ["regions", "qualifications"]
