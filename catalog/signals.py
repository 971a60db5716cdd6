"""Any change to a catalog row made through the ORM (the admin, a shell) bumps the revision,
so every process drops its in-memory index. The loader works in bulk and bumps it itself."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import CatalogRevision, Pillar, Prerequisite, Resource, Source, Stage, Topic


def _changed(sender, raw=False, action="post", **kwargs):
    if not action.startswith("post"):
        return  # m2m_changed also fires before the change
    if raw:
        # loaddata writes row by row: forget the token (one cheap DELETE) rather than
        # mint thousands of them; with no token, no process trusts its index.
        CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON).delete()
        return
    CatalogRevision.bump()


def connect() -> None:
    for model in (Source, Stage, Pillar, Topic, Resource, Prerequisite):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalog-revision-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalog-revision-delete-{model.__name__}")
    for through in (Resource.topics.through, Resource.sources.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"catalog-revision-m2m-{through.__name__}")
