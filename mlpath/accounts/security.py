"""Sign-in protection around django-axes.

The client's address behind the proxy, one sign-in attempt at a time per username and
address, the lock-out page, and a log line for every failed sign-in.
"""

import fcntl
import hashlib
import hmac
import ipaddress
import logging
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import connection
from django.dispatch import receiver
from django.shortcuts import render

log = logging.getLogger(__name__)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The address a request came from, given TRUSTED_PROXY_COUNT proxies in front of the app.

    Each proxy appends the address it received the request from to X-Forwarded-For, so
    with N proxies the client is the N-th entry from the right; entries further left were
    sent by the client and prove nothing. A header too short, or not an address, means the
    request did not come through the proxies, and the peer address is all we know.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= trusted and _is_ip(hops[-trusted]):
            return hops[-trusted]
    return remote


def recorded_username(request, credentials=None) -> str | None:
    """The username as the throttle counts it, stores it and logs it.

    People often type their password into the username box. Whatever names no account is
    therefore kept only as a keyed digest: the same typo still counts towards one lock,
    and an operator can still see repeats, but neither the database nor the log ever holds
    the text. A username that belongs to an account is kept as typed, so staff can see who
    is locked out.
    """
    field = get_user_model().USERNAME_FIELD
    if credentials is not None:
        typed = credentials.get(field)
    else:
        typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD) if request is not None else None
    if typed is None:
        return None
    typed = str(typed)
    # No account's name holds a NUL, and PostgreSQL cannot even compare text with one.
    if typed and "\x00" not in typed and get_user_model()._default_manager.filter(**{field: typed}).exists():
        return typed
    digest = hmac.new(settings.SECRET_KEY.encode(), f"sign-in\0{typed}".encode(), hashlib.sha256)
    return f"[no such account {digest.hexdigest()[:12]}]"


def _lock_key(username: str, ip: str) -> int:
    digest = hashlib.blake2b(f"sign-in\0{username}\0{ip}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # PostgreSQL's advisory locks take a bigint


def counted_as(request, credentials: dict) -> tuple[str, str]:
    """(username, address) exactly as axes counts an attempt with these credentials."""
    return get_client_username(request, credentials) or "", get_client_ip_address(request) or ""


def sign_in_credentials(request) -> dict:
    """The username the sign-in form will hand to authenticate(): stripped and NFKC-
    normalised by Django's UsernameField, so "ada", " ada " and a fullwidth "ada" are one account."""
    typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    try:
        username = UsernameField().to_python(typed)
    except ValidationError:
        username = typed
    return {settings.AXES_USERNAME_FORM_FIELD: username or ""}


# SQLite: this many lock files per database, each shared by the attempts whose key falls on it.
_LOCK_STRIPES = 64


@contextmanager
def _attempts_in_turn(key: int):
    """Hold a lock for `key` between processes, outside any transaction.

    No transaction is open while the password is hashed: on SQLite every write transaction
    takes the database's single write lock, so hashing inside one stalled every learner's
    click behind a crowd of sign-ins. PostgreSQL takes a session advisory lock; SQLite, one
    database file on one machine, an exclusive lock on one of a few files beside it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    folder = Path(f"{connection.settings_dict['NAME']}.sign-in-locks")
    folder.mkdir(exist_ok=True)
    with open(folder / f"{key % _LOCK_STRIPES}.lock", "a") as handle:
        # flock, not lockf: it also keeps apart threads of one process, each with its own file.
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def one_attempt_at_a_time(view, credentials=sign_in_credentials):
    """Let a password check run alone among those counted against the same username and
    address.

    axes reads the failure count, the password is checked, then axes writes the failure.
    Parallel attempts all read the count before any of them writes it, so a burst gets
    far more than the limit through (axes issue #592). Holding a lock from the read to
    the write makes the count exact. The lock is keyed on what axes counts, so variants
    of one username that axes counts as one also wait for each other.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or not settings.AXES_ENABLED:
            return view(request, *args, **kwargs)
        with _attempts_in_turn(_lock_key(*counted_as(request, credentials(request)))):
            return view(request, *args, **kwargs)

    return wrapper


def _own_credentials(request) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: request.user.get_username()}


def guards_password(view):
    """For pages that ask a signed-in learner for their password (deleting the account,
    changing the password): the same throttle as signing in. Wrong passwords count as
    failed sign-ins for the account and address (`wrong_password`), and while that pair is
    locked out the page answers 429 without checking anything."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        signed_in_post = request.method == "POST" and request.user.is_authenticated
        if signed_in_post and not AxesProxyHandler.is_allowed(request, _own_credentials(request)):
            return locked_out(request, credentials=_own_credentials(request))
        return view(request, *args, **kwargs)

    return one_attempt_at_a_time(guarded, credentials=_own_credentials)


def wrong_password(request, user) -> None:
    """Count a wrong password typed on a signed-in page as a failed sign-in."""
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)


def locked_out(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: 429, and how long to wait, in minutes."""
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    response = render(request, "429.html", {"retry_after_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


@receiver(user_login_failed, dispatch_uid="mlpath.accounts.security.log_failed_sign_in")
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    # Only the username (a digest when it names no account, since that is often a
    # password typed in the wrong box) and where the attempt came from; %r keeps a crafted
    # username from forging extra log lines. Django has already masked the password.
    username = recorded_username(request, credentials)
    where = client_ip(request) if request is not None else "no request"
    path = request.path if request is not None else "-"
    log.warning("Sign-in failed for username %r from %s at %s", username, where, path)
