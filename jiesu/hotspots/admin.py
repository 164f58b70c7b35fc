from django.contrib import admin

from .models import DuplicateMatch, GovernanceItem, Hotspot, HotspotRun


@admin.register(GovernanceItem)
class GovernanceItemAdmin(admin.ModelAdmin):
    list_display = ("title", "month", "owner", "due_date", "status")
    list_filter = ("status", "month")
    raw_id_fields = ("tickets", "hotspot")


@admin.register(HotspotRun)
class HotspotRunAdmin(admin.ModelAdmin):
    list_display = ("kind", "start", "end", "tickets", "created_at")


@admin.register(Hotspot)
class HotspotAdmin(admin.ModelAdmin):
    list_display = ("topic", "run", "rank", "count", "baseline", "heat")
    raw_id_fields = ("tickets",)


@admin.register(DuplicateMatch)
class DuplicateMatchAdmin(admin.ModelAdmin):
    list_display = ("ticket", "other", "score", "same_caller")
    raw_id_fields = ("ticket", "other")
