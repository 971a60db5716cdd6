"""50 wrong passwords at the same moment: the limit of 5 still holds (axes issue #592).

Real concurrency: a threaded live server, 50 client threads on their own connections,
and a barrier so every POST leaves at once. What counts is how many times a password
was actually checked, measured by a backend that counts its calls.
"""

import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db(transaction=True)
PARALLEL = 50
PASSPHRASE = "the right passphrase, which nobody in the crowd knows"


class CountingBackend(ModelBackend):
    """ModelBackend that counts the passwords it is asked to check."""

    checked = 0
    _lock = threading.Lock()

    def authenticate(self, request, username=None, password=None, **kwargs):
        with CountingBackend._lock:
            CountingBackend.checked += 1
        return super().authenticate(request, username=username, password=password, **kwargs)


# The test server queues only 10 connections it has not accepted yet, and a burst of 50
# overflows that queue. So the clients connect a few at a time, and each one fetches the
# form on the connection it will POST on: the server has then accepted it for certain.
_connecting = threading.Semaphore(5)


def _post_login(host, port, barrier, username, password) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    with _connecting:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        html = response.read().decode()
    assert response.getheader("Connection") != "close"
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    barrier.wait()
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"},
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_fifty_parallel_wrong_passwords_get_at_most_the_limit_through(
    live_server, settings, record_testsuite_property
):
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", f"{__name__}.CountingBackend"]
    User.objects.create_user("ada", password=PASSPHRASE)
    CountingBackend.checked = 0
    url = urlsplit(live_server.url)
    barrier = threading.Barrier(PARALLEL)

    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [
            pool.submit(_post_login, url.hostname, url.port, barrier, "ada", f"guess {n}")
            for n in range(PARALLEL)
        ]
        statuses = [future.result() for future in futures]

    checked = CountingBackend.checked
    record_testsuite_property("sign_in_race_passwords_checked_of_50", checked)
    assert sorted(set(statuses)) == [200, 429], statuses  # 200 is "wrong password", 429 the lock-out
    assert 5 <= checked <= 7, f"{checked} of {PARALLEL} parallel attempts had their password checked"
    # The limit is reached on the 5th failure, which already answers 429.
    assert statuses.count(200) == checked - 1, statuses
    # The right password is refused now too, without being checked.
    assert _post_login(url.hostname, url.port, threading.Barrier(1), "ada", PASSPHRASE) == 429
    assert CountingBackend.checked == checked
