from django.contrib import admin

from .models import Article, ArticleVersion, SearchMiss, SynonymGroup


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("words",)
    search_fields = ("words",)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-only here: articles change through drafts and review (the knowledge pages or the API)."""

    list_display = ("code", "title", "owner", "status", "valid_until")
    list_filter = ("status", "owner")
    search_fields = ("code", "title")
    readonly_fields = [f.name for f in Article._meta.concrete_fields] + ["regions"]

    def has_add_permission(self, request):
        return False


@admin.register(ArticleVersion)
class ArticleVersionAdmin(admin.ModelAdmin):
    list_display = ("article", "number", "status", "author", "created_at")
    readonly_fields = [f.name for f in ArticleVersion._meta.concrete_fields] + ["regions"]

    def has_add_permission(self, request):
        return False


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    list_display = ("query", "user", "created_at")
