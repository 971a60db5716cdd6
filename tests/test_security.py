"""Sign-in throttling (django-axes around mlpath/accounts/security.py): the limit, the 429 page, the log."""

import logging
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from mlpath.accounts import security
from mlpath.accounts.security import client_ip

LOGIN = reverse("login")
PASSPHRASE = "a passphrase about the singular value decomposition"
WRONG = "not-the-passphrase-at-all"


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password=PASSPHRASE)


def sign_in(client, password, username="ada", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client, times, username="ada", **extra):
    return [sign_in(client, WRONG, username, **extra).status_code for _ in range(times)]


def test_it_locks_on_the_fifth_failure_with_a_friendly_429(client, ada):
    assert fail(client, 4) == [200] * 4
    response = sign_in(client, WRONG)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert "Too many attempts" in html
    assert "Please wait 15 minutes, then try again." in html


def test_a_locked_out_client_is_refused_even_with_the_right_password(client, ada):
    fail(client, 5)
    assert sign_in(client, PASSPHRASE).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_for_one_username_from_one_address(client, ada):
    User.objects.create_user("grace", password=PASSPHRASE)
    fail(client, 5)
    assert sign_in(client, PASSPHRASE, REMOTE_ADDR="192.0.2.7").status_code == 302
    client.logout()
    assert sign_in(client, PASSPHRASE, username="grace").status_code == 302


def test_a_success_starts_the_count_again(client, ada):
    fail(client, 4)
    assert sign_in(client, PASSPHRASE).status_code == 302
    client.logout()
    assert fail(client, 4) == [200] * 4


def test_the_lock_lifts_after_fifteen_minutes(client, ada):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(client, 5)
        clock.shift(timedelta(minutes=14))
        assert sign_in(client, PASSPHRASE).status_code == 429
        clock.shift(timedelta(minutes=2))
        assert sign_in(client, PASSPHRASE).status_code == 302


def test_the_429_page_leaks_nothing(client, db):
    for _ in range(5):
        response = sign_in(client, "hunter2-secret", username="target-username")
    assert response.status_code == 429
    html = response.content.decode()
    for leak in ("target-username", "hunter2-secret", "axes", "AXES", "failure_limit", "Traceback"):
        assert leak not in html


def test_the_admin_sign_in_is_throttled_too(client, ada):
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "ada", "password": WRONG})
    assert response.status_code == 429
    assert sign_in(client, PASSPHRASE).status_code == 429  # one counter for both forms


def test_failures_are_counted_in_the_database(client, ada):
    fail(client, 3)
    [attempt] = AccessAttempt.objects.all()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("ada", "127.0.0.1", 3)
    assert WRONG not in attempt.post_data


def test_every_failure_is_logged_without_the_password(client, ada, caplog):
    caplog.set_level(logging.INFO)
    fail(client, 7)  # five before the lock-out, two during it
    lines = [r.getMessage() for r in caplog.records if r.name == "mlpath.accounts.security"]
    assert lines == ["Sign-in failed for username 'ada' from 127.0.0.1 at /accounts/login/"] * 7
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "mlpath.accounts.security")
    assert WRONG not in caplog.text


def test_a_password_typed_as_the_username_reaches_neither_the_log_nor_the_database(client, ada, caplog):
    caplog.set_level(logging.INFO)
    fail(client, 2, username=PASSPHRASE)
    assert PASSPHRASE not in caplog.text
    [attempt] = AccessAttempt.objects.all()
    assert PASSPHRASE not in attempt.username + attempt.post_data + attempt.get_data
    assert attempt.username.startswith("[no such account ")
    assert attempt.failures_since_start == 2  # the same typo still counts towards one lock
    lines = {r.getMessage() for r in caplog.records if r.name == "mlpath.accounts.security"}
    assert lines == {f"Sign-in failed for username {attempt.username!r} from 127.0.0.1 at /accounts/login/"}


def test_an_unknown_username_still_locks_after_five_failures(client, db):
    assert fail(client, 4, username="nobody-here") == [200] * 4
    assert sign_in(client, WRONG, username="nobody-here").status_code == 429
    assert sign_in(client, WRONG, username="someone-else").status_code == 200


def test_a_crafted_username_cannot_forge_a_log_line(client, db, caplog):
    sign_in(client, WRONG, username="x\nSign-in succeeded for admin")
    [line] = [r.getMessage() for r in caplog.records if r.name == "mlpath.accounts.security"]
    assert "\n" not in line


# The client's address, behind zero, one or two proxies that append to X-Forwarded-For.


def _request(forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)


def test_without_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.9")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry came from the client
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "2001:db8::1, 10.0.0.2", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_client_is_counted_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.9", "not-an-address, 10.0.0.2"])
def test_a_header_that_did_not_come_through_the_proxies_is_not_trusted(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded)) == "10.0.0.1"


def test_behind_a_proxy_each_client_has_its_own_count(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(client, PASSPHRASE, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert sign_in(client, PASSPHRASE, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 302


class RecordingHasher(MD5PasswordHasher):
    """Notes whether a transaction was open on the request's connection at each hash."""

    in_transaction: list[bool] = []

    def verify(self, password, encoded):
        RecordingHasher.in_transaction.append(connection.in_atomic_block)
        return super().verify(password, encoded)

    def encode(self, password, salt):
        RecordingHasher.in_transaction.append(connection.in_atomic_block)
        return super().encode(password, salt)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ["ada", "nobody-of-that-name"])
def test_no_password_is_hashed_inside_a_transaction(client, settings, username):
    """On SQLite a write transaction holds the whole database: hashing a password inside
    one stalled every learner's click behind a crowd of sign-ins."""
    settings.PASSWORD_HASHERS = [f"{__name__}.RecordingHasher"]
    User.objects.create_user("ada", password=PASSPHRASE)
    RecordingHasher.in_transaction = []
    assert sign_in(client, WRONG, username).status_code == 200
    assert sign_in(client, PASSPHRASE).status_code == 302
    assert RecordingHasher.in_transaction and not any(RecordingHasher.in_transaction)


def test_the_sign_in_lock_is_keyed_on_the_username_axes_counts(ada):
    """Padded or compatibility-form variants of one username are one count for axes, so
    they must wait for one lock, or parallel guesses at variants get past the limit."""

    def key(typed, address="198.51.100.4"):
        request = RequestFactory().post(LOGIN, {"username": typed, "password": WRONG}, REMOTE_ADDR=address)
        return security._lock_key(*security.counted_as(request, security.sign_in_credentials(request)))

    assert key("ada") == key(" ada ") == key("\tada\n") == key("\uff41\uff44\uff41")  # fullwidth ada
    assert key("ada") != key("grace") and key("ada") != key("ada", "198.51.100.5")


PASSWORD_PAGES = [
    ("delete_account", "password", {}),
    (
        "password_change",
        "old_password",
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    ),
]


@pytest.mark.parametrize(("page", "field", "rest"), PASSWORD_PAGES)
def test_wrong_passwords_on_a_signed_in_page_are_throttled_like_sign_in(client, ada, page, field, rest):
    client.force_login(ada)
    url = reverse(page)
    statuses = [client.post(url, {field: WRONG, **rest}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # Locked out now: the right password is refused too, and nothing changes.
    assert client.post(url, {field: PASSPHRASE, **rest}).status_code == 429
    assert User.objects.get(pk=ada.pk).check_password(PASSPHRASE)
    # The same pair is locked out of signing in as well.
    client.logout()
    assert sign_in(client, PASSPHRASE).status_code == 429


@pytest.mark.parametrize(("page", "field", "rest"), PASSWORD_PAGES)
def test_the_right_password_on_a_signed_in_page_still_works(client, ada, page, field, rest):
    client.force_login(ada)
    assert client.post(reverse(page), {field: WRONG, **rest}).status_code == 200
    assert client.post(reverse(page), {field: PASSPHRASE, **rest}).status_code == 302


def test_tries_during_a_lock_out_do_not_extend_it(client, ada):
    """Decided: the 15 minutes run from the failure that locked the pair out. Restarting
    them on every try would let anyone sharing the learner's address keep them out."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, 5)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert sign_in(client, WRONG).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert sign_in(client, PASSPHRASE).status_code == 302
