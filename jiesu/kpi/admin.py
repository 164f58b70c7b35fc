"""考核目标 are set in the admin; the rollup is not edited by hand (jiesu kpi rebuild recomputes it)."""

from django.contrib import admin

from .models import KpiTarget


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ["rate", "department", "value"]
    list_filter = ["rate"]
    autocomplete_fields = ["department"]
    search_fields = ["department__name", "department__code"]
