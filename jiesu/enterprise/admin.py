from django.contrib import admin

from .models import Contact, Enterprise, Qualification


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
