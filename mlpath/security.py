"""Sign-in protection around django-axes.

The client's address behind the proxy, one sign-in attempt at a time per username and
address, the lock-out page, and a log line for every failed sign-in.
"""

import hashlib
import hmac
import ipaddress
import logging
from functools import wraps

from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import connection, transaction
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


def one_attempt_at_a_time(view):
    """Let a sign-in POST run alone among those for the same username and address.

    axes reads the failure count, the password is checked, then axes writes the failure.
    Parallel attempts all read the count before any of them writes it, so a burst gets
    far more than the limit through (axes issue #592). Holding a lock from the read to
    the write, until commit, makes the count exact.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or not settings.AXES_ENABLED:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            # SQLite needs nothing more: the settings open every transaction with BEGIN
            # IMMEDIATE, which takes the database's one write lock. PostgreSQL gets a lock
            # for this username and address only, so other people's sign-ins do not wait.
            if connection.vendor == "postgresql":
                typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
                key = _lock_key(typed, get_client_ip_address(request) or "")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            return view(request, *args, **kwargs)

    return wrapper


def locked_out(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: 429, and how long to wait, in minutes."""
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    response = render(request, "429.html", {"retry_after_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


@receiver(user_login_failed, dispatch_uid="mlpath.security.log_failed_sign_in")
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    # Only the username (a digest when it names no account, since that is often a
    # password typed in the wrong box) and where the attempt came from; %r keeps a crafted
    # username from forging extra log lines. Django has already masked the password.
    username = recorded_username(request, credentials)
    where = client_ip(request) if request is not None else "no request"
    path = request.path if request is not None else "-"
    log.warning("Sign-in failed for username %r from %s at %s", username, where, path)
