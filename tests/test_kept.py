"""The catalog's plain copies are built once per revision in each process, and never kept
when a catalog change raced the build."""

import pytest

from catalog import kept
from catalog.models import CatalogRevision

pytestmark = pytest.mark.django_db


class Builder:
    def __init__(self, during=None):
        self.calls = 0
        self.during = during

    def __call__(self):
        self.calls += 1
        if self.during:
            self.during()
        return f"copy {self.calls}"


def test_one_build_per_revision_and_a_new_one_after_a_change():
    first = CatalogRevision.bump()
    build = Builder()
    assert kept.per_revision("test", build) == (first, "copy 1")
    assert kept.per_revision("test", build) == (first, "copy 1")
    second = CatalogRevision.bump()
    assert kept.per_revision("test", build) == (second, "copy 2")
    assert build.calls == 2


def test_a_build_that_raced_a_catalog_change_is_used_once_and_not_kept():
    CatalogRevision.bump()
    racing = Builder(during=CatalogRevision.bump)
    # No token: the caller must not cache anything computed from this copy.
    assert kept.per_revision("test", racing) == ("", "copy 1")
    calm = Builder()
    assert kept.per_revision("test", calm) == (CatalogRevision.current(), "copy 1")
    assert kept.per_revision("test", calm)[1] == "copy 1" and calm.calls == 1


def test_without_a_revision_row_every_call_builds_afresh():
    CatalogRevision.objects.all().delete()
    build = Builder()
    assert kept.per_revision("test", build) == ("", "copy 1")
    assert kept.per_revision("test", build) == ("", "copy 2")


def test_names_are_kept_apart():
    CatalogRevision.bump()
    kept.per_revision("one", lambda: "a")
    assert kept.per_revision("two", lambda: "b")[1] == "b"
    assert kept.per_revision("one", lambda: "changed")[1] == "a"
