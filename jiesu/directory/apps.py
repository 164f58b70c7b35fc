from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "jiesu.directory"
    label = "directory"
    verbose_name = "组织与分类"
