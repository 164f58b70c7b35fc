from django.contrib import admin

from .models import Partner, ServiceAttribute, Submission


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "created_at"]
    readonly_fields = ["user"]  # made with its api_key by `jiesu open311 add-partner`

    def has_add_permission(self, request):
        return False


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "description", "datatype", "required", "order"]
    list_filter = ["datatype", "required"]
    autocomplete_fields = ["category"]
    search_fields = ["code", "description", "category__name"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["ticket", "partner", "token"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False
