"""Simulated learners for `tests.bench.loadtest`. Locust runs this file in its own process.

Importing locust lets gevent patch the standard library, so nothing else imports this
module. `tests.bench.loadtest` names the user class on the command line and hands over the
learners and resource slugs in a JSON file named by MLPATH_LOADTEST.
"""

import itertools
import json
import os
import random
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, task

CONFIG = json.loads(Path(os.environ["MLPATH_LOADTEST"]).read_text(encoding="utf-8"))
STATUSES = ("not_started", "in_progress", "done", "skipped")
_usernames = itertools.cycle(CONFIG["usernames"])
_signed_in = 0
_everyone_in = Event()


class Learner(FastHttpUser):
    """Signs in once, then about 80% page views and 20% htmx status changes, with no pause.

    Nobody starts browsing until everyone has signed in, and the run then lasts exactly
    CONFIG["seconds"]: signing in costs a deliberately slow password hash, and a storm of
    them in the measured window would say more about PBKDF2 than about the pages.
    """

    wait_time = constant(0)

    def on_start(self):
        self.slugs = CONFIG["slugs"]
        username = next(_usernames)
        self.client.get("/accounts/login/", name="sign in (form)")
        form = {"username": username, "password": CONFIG["password"], "csrfmiddlewaretoken": self._csrf()}
        with self.client.post(
            "/accounts/login/", data=form, name="sign in (POST)", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"{username} could not sign in: {response.status_code}")
        # Signing in rotates the CSRF token; htmx sends the new one in a header.
        self.token = self._csrf()
        global _signed_in
        _signed_in += 1  # failed sign-ins count too, so one failure cannot stall the run
        if _signed_in == CONFIG["users"]:
            gevent.spawn_later(CONFIG["seconds"], self.environment.runner.quit)
            _everyone_in.set()
        _everyone_in.wait()

    def _csrf(self) -> str:
        return next((cookie.value for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")

    def _page(self, path: str, name: str) -> None:
        # A redirect here would be to the sign-in page: a lost session, so a failure.
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code == 0:
                response.failure(f"no answer ({response.error!r})")
            elif response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")

    @task(3)
    def path_page(self):
        self._page("/path/", "/path/")

    @task(2)
    def catalog(self):
        self._page("/catalog/", "/catalog/")

    @task(3)
    def resource(self):
        self._page(f"/catalog/{random.choice(self.slugs)}/", "/catalog/<slug>/")

    @task(2)
    def change_status(self):
        slug = random.choice(self.slugs)
        headers = {"HX-Request": "true", "HX-Target": f"status-{slug}", "X-CSRFToken": self.token}
        with self.client.post(
            f"/path/progress/{slug}/",
            data={"status": random.choice(STATUSES)},
            headers=headers,
            name="status POST (htmx)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or f'id="status-{slug}"' not in (response.text or ""):
                # Status 0 is no HTTP answer at all: say what the connection did.
                problem = f" ({response.error!r})" if response.status_code == 0 else ""
                response.failure(f"{response.status_code}: not the status control{problem}")


class Probe(FastHttpUser):
    """The yardstick: /healthz as fast as it answers."""

    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")
