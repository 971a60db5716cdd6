"""Sign-in throttling (django-axes around mlpath/accounts/security.py): the limit, the 429 page, the log."""

import logging
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

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
        assert sign_in(client, PASSPHRASE).status_code == 429  # and this try restarts the wait
        clock.shift(timedelta(minutes=14))
        assert sign_in(client, PASSPHRASE).status_code == 429
        clock.shift(timedelta(minutes=16))
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
