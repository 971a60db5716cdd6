"""Serve a page from the cache while nothing it shows has changed.

A page is rendered once and kept under a key made of everything it depends on: the URL
and the htmx headers, who is asking (id, name, staff or not), their CSRF secret (the forms
in the page carry a token made from it), the catalog's revision, the learner's own stamp
(moved by every status change, note, reset and settings change: see LearnerStamp), and
today's date (the ETA). One query builds the key; a hit skips the view entirely, and
for a session this process has already seen signed in, it skips loading the session and
the user too: the same query checks that the session is still alive (see fast_key).

The key is checked against the database on every request, so processes and servers with
their own memory caches never serve each other's stale pages. A page with a flash message
waiting is never served from, or stored in, the cache.

It is a middleware, listed in settings, for the views in settings.PAGE_CACHE_VIEWS: the
catalog's pages can then be cached without the catalog app knowing learners exist.
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from catalog.models import CatalogRevision
from mlpath import rawsql, sessionauth
from mlpath.progress.models import LearnerStamp

DEFAULT_SECONDS = 300
# Headers a view's own decorators set, which a cached answer must carry again.
KEPT_HEADERS = ("Content-Type", "Vary", "Cache-Control", "Content-Language")


def keep_for(request, seconds: float) -> None:
    """A view whose page changes with time (an Undo that expires) says how long it holds."""
    current = getattr(request, "page_cache_seconds", DEFAULT_SECONDS)
    request.page_cache_seconds = max(0, min(int(seconds), current))


def _state(session_key: str | None, user_id: int | None):
    """(catalog token, session alive, password, active, username, staff, stamp): one query.

    Raw SQL because building the equivalent ORM query costs more than running it, and a
    kept page is served on this one query alone.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [session_key, now, user_id, CatalogRevision.SINGLETON])
        return cursor.fetchone()


@rawsql.statement
def _state_sql() -> str:
    user = get_user_model()
    name = connection.ops.quote_name(user.USERNAME_FIELD)
    return (
        f"SELECT r.token, s.session_key, u.password, u.is_active, u.{name}, u.is_staff, st.version "
        f"FROM {rawsql.table(CatalogRevision)} r "
        f"LEFT JOIN {rawsql.table(Session)} s ON s.session_key = %s AND s.expire_date > %s "
        f"LEFT JOIN {rawsql.table(user)} u ON u.id = %s "
        f"LEFT JOIN {rawsql.table(LearnerStamp)} st ON st.user_id = u.id "
        "WHERE r.id = %s"
    )


def _key(request, who: str, token) -> str:
    parts = [
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        request.headers.get("HX-History-Restore-Request", ""),
        who,
        request.META["CSRF_COOKIE"],
        str(token),
        timezone.localdate().isoformat(),
    ]
    return "page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _who(row, user_id) -> str:
    _token, _alive, _password, _active, username, staff, version = row
    return f"{user_id}:{username}:{int(bool(staff))}:{version or 0}"


def _anonymous_key(request) -> str | None:
    row = _state(None, None)
    return _key(request, "anonymous", row[0]) if row and row[0] else None


def fast_key(request) -> str | None:
    """The page's key without loading the session or the user, or None when only Django's
    own auth can say who this is.

    For a session sessionauth has vouched for, the same query that reads the key's parts
    checks what sessionauth checks (session alive, password hash unchanged, account
    active), so a kept page is served on that one query.
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return _anonymous_key(request)
    vouched = sessionauth.vouched(session_key)
    if vouched is None:
        return None
    user_id, password = vouched
    row = _state(session_key, user_id)
    if not row or not row[0] or row[1] is None or row[2] != password or not row[3]:
        sessionauth.withdraw(session_key)
        return None
    return _key(request, _who(row, user_id), row[0])


def page_key(request) -> str | None:
    """The key after auth has said who is asking (and vouched for the session, which
    lets fast_key answer next time)."""
    user = request.user
    if not user.is_authenticated:
        return _anonymous_key(request)
    row = _state(request.session.session_key, user.pk)
    if not row or not row[0]:
        return None
    return _key(request, _who(row, user.pk), row[0])


def _cacheable(request) -> bool:
    # Messages live in a cookie (settings.MESSAGE_STORAGE), so this loads no session.
    return bool(request.META.get("CSRF_COOKIE")) and not len(messages.get_messages(request))


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
        if not _cacheable(request):
            return None
        key = fast_key(request) or page_key(request)
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
