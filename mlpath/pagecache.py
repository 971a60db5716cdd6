"""Serve a page from the cache while nothing it shows has changed.

A page is rendered once and kept under a key made of everything it depends on: the URL
and the htmx headers, who is asking (id, name, staff or not), their CSRF secret (the forms
in the page carry a token made from it), the catalog's revision, the learner's own stamp
(moved by every status change, note, reset and settings change: see LearnerStamp), and
today's date (the ETA). One query builds the key; a hit skips the view entirely.

The key is checked against the database on every request, so processes and servers with
their own memory caches never serve each other's stale pages. A page with a flash message
waiting is never served from, or stored in, the cache.

It is a middleware, listed in settings, for the views in settings.PAGE_CACHE_VIEWS: the
catalog's pages can then be cached without the catalog app knowing learners exist.
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Subquery, Value
from django.http import HttpResponse
from django.utils import timezone

from catalog.models import CatalogRevision
from mlpath.progress.models import LearnerStamp

DEFAULT_SECONDS = 300
# Headers a view's own decorators set, which a cached answer must carry again.
KEPT_HEADERS = ("Content-Type", "Vary", "Cache-Control", "Content-Language")


def keep_for(request, seconds: float) -> None:
    """A view whose page changes with time (an Undo that expires) says how long it holds."""
    current = getattr(request, "page_cache_seconds", DEFAULT_SECONDS)
    request.page_cache_seconds = max(0, min(int(seconds), current))


def page_key(request) -> str | None:
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(messages.get_messages(request)):
        return None
    user = request.user
    # The catalog's token and the learner's stamp in one round trip.
    stamp = LearnerStamp.objects.filter(user_id=user.pk).values("version")[:1]
    row = (
        CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON)
        .annotate(stamp=Subquery(stamp) if user.is_authenticated else Value(0))
        .values_list("token", "stamp")
        .first()
    )
    if row is None or not row[0]:
        return None  # a catalog written without a revision: never trust a cached page
    token, version = row
    who = "anonymous"
    if user.is_authenticated:
        who = f"{user.pk}:{user.get_username()}:{int(user.is_staff)}:{version or 0}"
    parts = [
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        request.headers.get("HX-History-Restore-Request", ""),
        who,
        secret,
        token,
        timezone.localdate().isoformat(),
    ]
    return "page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.views = frozenset(getattr(settings, "PAGE_CACHE_VIEWS", ()))

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method not in ("GET", "HEAD") or match is None or match.view_name not in self.views:
            return None
        key = page_key(request)
        if key is None:
            return None
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
            response = response.render()
        if response.status_code == 200 and not response.streaming and not response.cookies:
            seconds = getattr(request, "page_cache_seconds", DEFAULT_SECONDS)
            if seconds > 0:
                headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
                cache.set(key, (response.content, headers), seconds)
        return response
