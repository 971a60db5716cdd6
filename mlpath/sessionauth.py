"""Who is asking, in one query, once this process has seen Django's auth accept the session.

Django's own `get_user` loads the session row, decodes it, loads the user and checks the
session's password hash: two ORM queries on every signed-in request, which was a third of
the time of a status click. A session key, though, never changes hands: Django issues a
new key at every sign-in and on a password change (`cycle_key`). So once Django has
accepted a key for a user in this process, the same answer holds while

- the session row still exists and has not expired (sign-out deletes it),
- the user's password hash is still the one it was accepted with (a password change, here
  or anywhere, ends the user's other sessions, as Django's hash check does), and
- the account is still active (what ModelBackend.get_user checks).

One raw query checks all three and loads the user fresh, so names and staff flags are
never stale. Anything else, or any failed check, goes through Django's `get_user`.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from mlpath import rawsql

# {session key: (user id, password hash)} for keys Django's auth accepted in this process.
_VOUCHED: dict[str, tuple[int, str]] = {}
_VOUCHED_MAX = 50_000


def forget_sessions() -> None:
    """Tests: a rolled-back database can hand out the same user ids again."""
    _VOUCHED.clear()


def vouched(session_key: str | None) -> tuple[int, str] | None:
    return _VOUCHED.get(session_key) if session_key else None


def withdraw(session_key: str) -> None:
    _VOUCHED.pop(session_key, None)


def _vouch(session_key: str, user) -> None:
    if len(_VOUCHED) >= _VOUCHED_MAX:
        _VOUCHED.clear()  # a crude bound; the cost is one slow request per live session
    _VOUCHED[session_key] = (user.pk, user.password)


@rawsql.statement
def _user_sql() -> str:
    model = get_user_model()
    q = connection.ops.quote_name
    return (
        f"SELECT {', '.join(f'u.{q(field.column)}' for field in model._meta.concrete_fields)} "
        f"FROM {rawsql.table(model)} u "
        f"JOIN {rawsql.table(Session)} s ON s.session_key = %s AND s.expire_date > %s "
        f"WHERE u.{q(model._meta.pk.column)} = %s"
    )


def _fast_user(session_key: str, user_id: int, password: str):
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [session_key, now, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    model = get_user_model()
    user = rawsql.instance(model, [field.attname for field in model._meta.concrete_fields], row)
    if user.password != password or not getattr(user, "is_active", True):
        return None
    return user


def get_user(request):
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    known = vouched(session_key)
    if known is not None:
        user = _fast_user(session_key, *known)
        if user is not None:
            return user
        withdraw(session_key)
    user = auth.get_user(request)
    # Only the key the request came with, and only if Django's checks left it in place.
    if user.is_authenticated and session_key and request.session.session_key == session_key:
        _vouch(session_key, user)
    return user


class FastAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's middleware, with `get_user` above for `request.user`."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))


def _cached_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = get_user(request)
    return request._cached_user
