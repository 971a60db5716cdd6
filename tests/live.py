"""The real app under gunicorn, for the concurrency tests and the bench's load test.

    learners = prepare(url, learners=16)           # migrate, catalog, users with a known password
    with serve(url, threads=8) as server:          # gunicorn on a free port, /healthz answered
        visitor = Visitor(server.url)
        visitor.login(learners.usernames[0], learners.password)
        visitor.post(f"/path/progress/{learners.slugs[0]}/", {"status": "done"}, htmx=True)
    assert not server.problems()

Everything Django-side runs in child processes with their own environment, so the
caller's settings (a test database, DEBUG on) never leak into the server. The server
runs the production settings (DEBUG=0) with only the HTTPS parts turned off, because
it is reached over plain HTTP on 127.0.0.1.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
STATUSES = ("not_started", "in_progress", "done", "skipped")
PASSWORD = "live-server-passphrase-2718"
# One key per process: sessions made by prepare() stay valid on every server this process starts.
SECRET_KEY = secrets.token_urlsafe(50)
# Lines in a server log that mean something went wrong, whatever the responses said.
PROBLEMS = (
    "database is locked",
    "Traceback",
    "Internal Server Error",
    "WORKER TIMEOUT",
    "deadlock detected",
    "IntegrityError",
)
_RESULT = "mlpath-liveserver-result: "


def app_env(database_url: str, secret_key: str = SECRET_KEY) -> dict[str, str]:
    """The environment of a production server reached over plain HTTP on 127.0.0.1."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mlpath.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        # No TLS proxy in front: redirecting to https or marking cookies secure would
        # leave a plain-HTTP client with no session at all.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Learners:
    usernames: list[str]
    password: str
    slugs: list[str]  # active resources, in catalog order
    sessions: dict[str, str] = field(default_factory=dict)  # username -> session key


def prepare(
    database_url: str,
    *,
    learners: int = 0,
    prefix: str = "learner-",
    password: str = PASSWORD,
    catalog: str = "load",
    sessions: bool = False,
    secret_key: str = SECRET_KEY,
) -> Learners:
    """Migrate, load the catalog, collect static files and create learners, in one child process.

    `catalog` is "load" (fixtures/), "if-empty" (keep a catalog that is already there, such
    as the bench's synthetic one, which loading fixtures/ would retire) or "skip". Learners
    are `<prefix>0..` with `password`; existing ones get that password again. With
    `sessions`, each also gets a signed-in session, as if they had logged in.
    """
    spec = {
        "learners": learners,
        "prefix": prefix,
        "password": password,
        "catalog": catalog,
        "sessions": sessions,
    }
    code = "import sys, tests.live as m; m._prepare_main(sys.stdin.read())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=app_env(database_url, secret_key),
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(_RESULT)]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"preparing {database_url} failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads(lines[-1].removeprefix(_RESULT))
    return Learners(password=password, **data)


def _prepare_main(raw_spec: str) -> None:
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    spec = json.loads(raw_spec)
    call_command("migrate", interactive=False, verbosity=0)
    from catalog.models import Resource

    if spec["catalog"] == "load" or (spec["catalog"] == "if-empty" and not Resource.objects.exists()):
        call_command("load_catalog", stdout=StringIO())
    _collect_static_if_stale()
    names = [f"{spec['prefix']}{i}" for i in range(spec["learners"])]
    sessions = _create_learners(names, spec["password"], spec["sessions"])
    slugs = list(Resource.objects.active().order_by("stage__position", "id").values_list("slug", flat=True))
    print(_RESULT + json.dumps({"usernames": names, "slugs": slugs, "sessions": sessions}))


def _collect_static_if_stale() -> None:
    """DEBUG=0 serves hashed file names from a manifest, so pages fail without collectstatic.

    It takes seconds, so it only runs when a source file is newer than the manifest, and
    under a lock, because two test runs may prepare at once.
    """
    import fcntl

    from django.conf import settings
    from django.contrib.staticfiles import finders

    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".collect.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = root / "staticfiles.json"
        built = manifest.stat().st_mtime if manifest.exists() else 0.0
        newest = max(
            (
                os.path.getmtime(storage.path(path))
                for finder in finders.get_finders()
                for path, storage in finder.list([])
            ),
            default=0.0,
        )
        if newest >= built:
            from django.core.management import call_command

            call_command("collectstatic", interactive=False, verbosity=0)


def _create_learners(names: list[str], password: str, with_sessions: bool) -> dict[str, str]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    # One hash for everyone: the production hasher costs a quarter second per call.
    encoded = make_password(password)
    User.objects.bulk_create(
        [User(username=name, password=encoded) for name in names], ignore_conflicts=True, batch_size=500
    )
    User.objects.filter(username__in=names).update(password=encoded, is_active=True)
    if not with_sessions:
        return {}
    model_backend = "django.contrib.auth.backends.ModelBackend"
    backend = model_backend if model_backend in settings.AUTHENTICATION_BACKENDS else None
    backend = backend or settings.AUTHENTICATION_BACKENDS[-1]
    sessions = {}
    # The same three keys django.contrib.auth.login() stores, so the server cannot tell the difference.
    for user in User.objects.filter(username__in=names):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[user.username] = store.session_key
    return sessions


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def problems(self) -> list[str]:
        """Log lines that show an error, even one the client never saw as a 5xx."""
        return [line for line in self.log().splitlines() if any(word in line for word in PROBLEMS)]


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 8,
    secret_key: str = SECRET_KEY,
    log_dir: Path | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[Server]:
    """gunicorn on a free port of 127.0.0.1, answering /healthz, stopped on the way out."""
    own_dir = log_dir is None
    folder = Path(tempfile.mkdtemp(prefix="mlpath-live-")) if own_dir else Path(log_dir)
    folder.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        # A free port can be taken between the probe and gunicorn's bind; try another then.
        for attempt in range(3):
            server = _start(database_url, workers, threads, secret_key, folder, attempt)
            if _wait_until_healthy(server, startup_timeout):
                break
            _stop(server)
            if "Connection in use" not in server.log():
                break
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn did not answer /healthz on {server.url}:\n{server.log()}")
        yield server
    finally:
        if server is not None:
            _stop(server)
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)


def _start(database_url, workers, threads, secret_key, folder: Path, attempt: int) -> Server:
    port = free_port()
    log_path = folder / f"gunicorn-{port}-{attempt}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "mlpath.wsgi",
        f"--workers={workers}",
        f"--threads={threads}",
        f"--bind=127.0.0.1:{port}",
        "--graceful-timeout=5",
        "--timeout=60",
        # Several servers run at once; a shared control socket in $HOME would be fought over.
        "--no-control-socket",
    ]
    with open(log_path, "wb") as log:
        # A session of its own, so stopping it reaches the workers too.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_env(database_url, secret_key),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)


def _wait_until_healthy(server: Server, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def _stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        process.wait(timeout=10)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Visitor:
    """One person's cookies against one server, over a fresh connection per request.

    A fresh connection means a request that failed was never half-sent on a stale
    keep-alive socket, so nothing needs retrying and every POST is counted exactly once.
    Not thread-safe: give each thread its own, or copy one with `Visitor(url, cookies)`.
    """

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None, timeout: float = 60):
        self.base_url = base_url
        self.cookies = dict(cookies or {})
        self.timeout = timeout

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, *, htmx: bool = False, headers: dict | None = None) -> Response:
        sent = {"X-CSRFToken": self.cookies.get("csrftoken", ""), **(headers or {})}
        if htmx:
            sent.setdefault("HX-Request", "true")
        return self.request("POST", path, body=urlencode(data), headers=sent)

    def login(self, username: str, password: str) -> None:
        """Sign in through the real form, the way a browser does."""
        self.get("/accounts/login/")
        form = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
        }
        response = self.post("/accounts/login/", form)
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{username} could not sign in: {response.status} {response.body[:300]}")

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read().decode("utf-8", errors="replace"))
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response
