"""Any change to a catalog row made through the ORM (the admin, a shell) bumps the revision,
so every process drops its in-memory index. The loader works in bulk and bumps it itself."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import CatalogRevision, Pillar, Prerequisite, Resource, Section, Source, Stage, Topic


def _changed(sender, raw=False, action="post", **kwargs):
    if not action.startswith("post"):
        return  # m2m_changed also fires before the change
    if raw:
        # loaddata writes row by row: forget the token (one cheap DELETE) rather than
        # mint thousands of them; with no token, no process trusts its index.
        CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON).delete()
        return
    CatalogRevision.bump()


def _receivers():
    for model in (Source, Stage, Pillar, Topic, Resource, Section, Prerequisite):
        yield post_save, model, f"catalog-revision-save-{model.__name__}"
        yield post_delete, model, f"catalog-revision-delete-{model.__name__}"
    throughs = (Resource.topics.through, Resource.sources.through, Resource.assumes.through)
    throughs += (Section.topics.through, Section.assumes.through, Topic.requires.through)
    for through in throughs:
        yield m2m_changed, through, f"catalog-revision-m2m-{through.__name__}"


def connect() -> None:
    for signal, sender, uid in _receivers():
        signal.connect(_changed, sender=sender, dispatch_uid=uid)


def disconnect() -> None:
    """For timing Django's own loaddata without our per-row work (see tests/bench/bench.py)."""
    for signal, sender, uid in _receivers():
        signal.disconnect(sender=sender, dispatch_uid=uid)
