from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Category, CategoryRoute, Department, Region, Staff, StaffRole


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "region", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "region"]


class CategoryRouteInline(admin.TabularInline):
    model = CategoryRoute
    extra = 0
    autocomplete_fields = ["region", "department"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__", "level", "default_department", "wage_arrears", "active"]
    list_filter = ["level", "active", "wage_arrears"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "default_department"]
    inlines = [CategoryRouteInline]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role_names"]
    list_filter = ["department__kind", "roles__role"]
    search_fields = ["user__username", "user__first_name", "department__name"]
    autocomplete_fields = ["department"]
    inlines = [StaffRoleInline]

    @admin.display(description="角色")
    def role_names(self, obj):
        return "、".join(r.get_role_display() for r in obj.roles.all())


class StaffInline(admin.StackedInline):
    model = Staff
    can_delete = False
    autocomplete_fields = ["department"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class JiesuUserAdmin(UserAdmin):
    inlines = [StaffInline]


admin.site.site_header = "接诉即办 · 系统管理"
admin.site.site_title = "接诉即办"
admin.site.index_title = "组织、分类与工单数据"
