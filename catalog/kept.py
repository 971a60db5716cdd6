"""Plain data built from the whole catalog, kept in this process's memory per revision.

Every request reads the revision (one indexed query) and gets back the copy built for it;
nothing is pickled in and out of a cache on the way, which at scale cost more than the
page's own queries. A random revision token never comes back meaning other rows (see
`CatalogRevision`), so a kept copy is right for exactly as long as its token is current.
"""

from collections.abc import Callable
from typing import TypeVar

from .models import CatalogRevision

T = TypeVar("T")

# {name: (revision token, what was built for it)}
_kept: dict[str, tuple[str, object]] = {}


def per_revision(name: str, build: Callable[[], T]) -> tuple[str, T]:
    """`build()` for the current revision, and that revision's token. The revision is read
    before and after building, and the result kept only if the two agree, so a build that
    raced a catalog change is never kept: the token comes back empty then, and nothing
    computed from the result may be cached either."""
    token = CatalogRevision.current()
    kept = _kept.get(name)
    if token and kept is not None and kept[0] == token:
        return token, kept[1]  # type: ignore[return-value]
    built = build()
    if token and CatalogRevision.current() == token:
        _kept[name] = (token, built)
        return token, built
    return "", built


def forget() -> None:
    """Drop every kept copy (tests, and the bench between catalogs)."""
    _kept.clear()
