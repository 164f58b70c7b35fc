from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "jiesu.directory"
    label = "directory"
    verbose_name = "组织与分类"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from jiesu.core.stamps import bump

        from . import models, snapshot

        # Every process keeps the directory and staff roles in memory (snapshot.py): a change anywhere bumps
        # the stamp that makes them reload.
        for model, stamp in ((models.Region, snapshot.DIRECTORY), (models.Department, snapshot.DIRECTORY),
                             (models.Category, snapshot.DIRECTORY), (models.CategoryRoute, snapshot.DIRECTORY),
                             (models.Staff, snapshot.STAFF), (models.StaffRole, snapshot.STAFF)):
            def changed(sender, stamp=stamp, raw=False, **kwargs):
                bump(stamp)

            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"stamp-{model.__name__}")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"stamp-del-{model.__name__}")
