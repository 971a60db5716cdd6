"""No input makes a 500: malformed values in every header, cookie, query parameter, form
field and URL parameter the app reads, at every URL, signed out and signed in.

The test client re-raises a view's exception, so a crash fails a test as surely as a 500.
Values arrive as a client's bytes would through WSGI: headers and cookies as latin-1 text,
query strings and bodies as sent (so Django decodes %00 and %FF itself), paths decoded.

Inputs that only shape a page go in together, all malformed at once. Inputs that turn a
request away (a form's other fields, the CSRF checks, the Host, a URL parameter) get cases
of their own, so that one refusal does not hide what the others would have done.
"""

import functools
import re
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import unquote_to_bytes

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from catalog.models import Stage
from mlpath.groups.models import GroupMilestone, Membership, StudyGroup
from mlpath.groups.plans import unit_choices
from mlpath.progress.models import CalendarFeed, Progress
from mlpath.progress.path import current_plan_index
from tests.factories import make_catalog
from tests.test_access_matrix import PATTERNS, matrix_key

pytestmark = pytest.mark.django_db

# Each value as the bytes a client could put on the wire.
MALFORMED = {
    # Raw and escaped, and as long as a session key, so no length check turns it away first.
    "nul": b"\x00" * 40 + b"%00",
    "long": b"x" * 10_000,
    "broken-url": b"http://[",
    # Text that decodes, oddly: unicode (right-to-left override too), line breaks raw and
    # escaped, an escaped lone surrogate, an escaped byte that is never UTF-8, both raw.
    "odd-text": "ü—🙂\u202e\r\n%0D%0AX-Injected: 1 %ED%A0%80%FF".encode() + b"\xed\xa0\x80\xff",
    "huge-number": b"9" * 30,
    "empty": b"",
}

# Read by our code, Django's, django-htmx's or axes's: the htmx details, the proxy
# headers (mlpath/security.py, SECURE_PROXY_SSL_HEADER), the CSRF checks. HX-Request
# is set apart: unless it is "true", none of the other HX- headers is read.
HEADERS = [
    "HX-Target",
    "HX-Trigger",
    "HX-Trigger-Name",
    "HX-Current-URL",
    "HX-History-Restore-Request",
    "HX-Boosted",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-CSRFToken",
    "Referer",
    "Origin",
    "Accept-Language",
    "User-Agent",
]
# django-htmx unquotes a header when told it is URI-encoded.
AUTO_ENCODED = {f"{name}-URI-AutoEncoded": "true" for name in ("HX-Current-URL", "HX-Target")}
QUERY = ["q", "stage", "pillar", "topic", "kind", "level", "free", "page", "sort", "stuck", "next"]
# Every field of every form, and what views read beside them.
FIELDS = [
    "status",
    "undo",
    "next",
    "note",
    "order",
    "known",
    "hours_per_week",
    "name",
    "description",
    "role",
    "username",
    "email",
    "password",
    "password1",
    "password2",
    "old_password",
    "new_password1",
    "new_password2",
    "csrfmiddlewaretoken",
    "post",
]
ROLES = ["anonymous", "organizer"]
STAGES = ["programming", "projects", "math"]  # tests/factories.py, in their order
TOPIC, UNIT = "topic-1", "resource-0"  # a topic, and a unit of a newcomer's whole path
SOON, LATER = (str(date.today() + timedelta(days=days)) for days in (7, 14))
PASSWORD = "a passphrase about eigenvalues"
NEW_PASSWORD = "another passphrase about gradients"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The cast, built once; every request runs in a savepoint that is rolled back, so each
    starts from the same rows (as with setUpTestData)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        catalog = make_catalog(resources=3)
        organizer = User.objects.create_user("organizer", "organizer@example.com", PASSWORD)
        classmate = User.objects.create_user("classmate", "classmate@example.com", PASSWORD)
        User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
        group = StudyGroup.create(name="Linear Algebra Club", description="", organizer=organizer)
        Membership.objects.create(group=group, user=classmate)
        for user in (organizer, classmate):
            Progress.change(user, catalog["resources"][0], "done")
            Progress.change(user, catalog["resources"][1], "in_progress")
        assert list(Stage.objects.active().values_list("slug", flat=True)) == STAGES
        signed_in = Client()
        signed_in.force_login(organizer)
        assert UNIT in [key for key, _ in unit_choices(current_plan_index()[1], group)]
        milestone = GroupMilestone.objects.create(
            group=group, title="Week 1", due=timezone.localdate() + timedelta(days=6), units=[UNIT]
        )
        Membership.objects.filter(group=group, user=organizer).update(feed_token="organizer-feed-secret")
        yield {
            "milestone": str(milestone.pk),
            "group": group,
            "resource": catalog["resources"][2].slug,
            "topic": catalog["topics"][0].slug,
            "classmate": classmate,
            "session": signed_in.cookies["sessionid"].value,
            "feed_token": CalendarFeed.rotate(organizer).token,
        }
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _behind_a_proxy(settings):
    # Without a proxy in front, X-Forwarded-For is never read.
    settings.TRUSTED_PROXY_COUNT = 1


# Sending a request as a WSGI server would.

# One client for every request, as each new one builds the middleware chain again; the
# requests name their cookies themselves, so what it keeps from a response is never sent.
CLIENT = Client()
CSRF_CLIENT = Client(enforce_csrf_checks=True)


@contextmanager
def savepoint():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def request(method: str, path: str, *, query: bytes = b"", body: bytes = b"", client=CLIENT, **environ):
    response = client.generic(
        method,
        "/",
        body,
        content_type="application/x-www-form-urlencoded",
        PATH_INFO=path,
        QUERY_STRING=query.decode("latin-1"),
        **environ,
    )
    assert response.status_code < 500, f"{method} {path!r}"
    return response


def send(method: str, path: str, **kwargs):
    """One request that must not fail, in a savepoint that is rolled back."""
    with savepoint():
        return request(method, path, **kwargs)


def headers(values: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in values.items()}


def cookies(role: str, world, value: str) -> dict[str, str]:
    """A signed-out visitor sends a malformed session cookie; a signed-in one a good session
    cookie beside malformed others. Either ends with a piece that is no cookie at all."""
    value = cookie_value(value)
    session = world["session"] if role == "organizer" else value
    return {"HTTP_COOKIE": f"sessionid={session}; csrftoken={value}; messages={value}; {value}"}


@functools.cache
def cookie_value(text: str) -> str:
    """A value as it gets past a proxy, which refuses control characters in a header: quoted,
    with octal escapes for what a cookie cannot hold, which Django decodes again."""
    escaped = "".join(
        char if " " < char < "\x7f" and char not in '";\\' else f"\\{ord(char):03o}" for char in text
    )
    return text if escaped == text else f'"{escaped}"'


def form(fields: dict[str, str | bytes | list]) -> bytes:
    pairs = [
        (name, value)
        for name, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return b"&".join(name.encode() + b"=" + force_bytes(value) for name, value in pairs)


# The URLs: every pattern in the URLconf, and the admin's sign-in and index (the rest of
# the admin answers anyone but staff as its index does).

ADMIN_SAMPLES = ["admin:login", "admin:index"]
NAMES = [name for name in PATTERNS if matrix_key(name) != "admin:*" or name in ADMIN_SAMPLES]
BOTH = ["GET", "POST"]
# The methods each route answers; tests/test_access_matrix.py checks it refuses the others.
METHODS = {
    "progress:settings": BOTH,
    "progress:set_status": ["POST"],
    "progress:save_note": ["POST"],
    "progress:reset": BOTH,
    "progress:rate_review": ["POST"],
    "progress:rotate_calendar": ["POST"],
    "groups:new": BOTH,
    "groups:join": BOTH,
    "groups:leave": BOTH,
    "groups:goal": BOTH,
    "groups:milestone_new": BOTH,
    "groups:milestone_edit": BOTH,
    "groups:milestone_delete": ["POST"],
    "groups:adopt": ["POST"],
    "groups:digest": ["POST"],
    "groups:calendar": ["POST"],
    "groups:rotate_invite": ["POST"],
    "groups:member_role": ["POST"],
    "groups:member_remove": ["POST"],
    "groups:delete": BOTH,
    "signup": BOTH,
    "delete_account": BOTH,
    "login": BOTH,
    "logout": ["POST"],
    "password_change": BOTH,
    "password_reset": BOTH,
    "password_reset_confirm": BOTH,
    "admin:login": BOTH,
}
PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")


def url_kwargs(name: str, world) -> dict[str, bytes]:
    classmate = User.objects.get(pk=world["classmate"].pk)
    values = {
        # A slug under /groups/ is the study group's; elsewhere it is a resource's.
        # A review is found by its topic, one the organizer has learned.
        "slug": world["group"].slug
        if name.startswith("groups:")
        else world["topic"]
        if name == "progress:rate_review"
        else world["resource"],
        "code": world["group"].invite_code,
        "user_id": str(classmate.pk),
        "uidb64": urlsafe_base64_encode(force_bytes(classmate.pk)),
        "token": default_token_generator.make_token(classmate),
        "feed_token": "organizer-feed-secret" if name == "groups:calendar_feed" else world["feed_token"],
        "milestone_id": world["milestone"],
    }
    return {parameter: values[parameter].encode() for parameter in PATTERNS[name].params}


def path_for(name: str, world, **replaced: bytes) -> str:
    """The pattern's route filled in, as PATH_INFO: percent escapes decoded, as latin-1."""
    kwargs = {**url_kwargs(name, world), **replaced}
    route = PARAMETER.sub(lambda match: kwargs[match["name"]].decode("latin-1"), PATTERNS[name].route)
    return unquote_to_bytes("/" + route).decode("latin-1")


def test_the_methods_name_real_routes():
    assert set(METHODS) <= set(NAMES)


# Everything that only shapes a page, malformed at once, at every URL.

ENDPOINTS = [
    pytest.param(name, method, id=f"{name}-{method}")
    for name in NAMES
    for method in METHODS.get(name, ["GET"])
]


@pytest.mark.parametrize(("name", "method"), ENDPOINTS)
def test_malformed_headers_cookies_queries_and_fields_make_no_500_at_any_url(world, name, method):
    path = path_for(name, world)
    for raw in MALFORMED.values():
        text = raw.decode("latin-1")
        for role in ROLES:
            for htmx in (True, False):
                values = dict.fromkeys(HEADERS, text)
                values.update({"HX-Request": "true", **AUTO_ENCODED} if htmx else {"HX-Request": text})
                send(
                    method,
                    path,
                    query=form(dict.fromkeys(QUERY, raw)),
                    body=form(dict.fromkeys(FIELDS, raw)) if method == "POST" else b"",
                    **cookies(role, world, text),
                    **headers(values),
                )


# One form field malformed, the others good, so that each field gets past the rest.

SIGN_IN = {"username": "organizer", "password": PASSWORD, "next": "/catalog/"}
GOOD_FIELDS = {
    "progress:settings": {"order": STAGES, "known": STAGES[:1], "hours_per_week": "5"},
    "progress:set_status": {"status": "done", "undo": "", "next": "/catalog/"},
    "progress:save_note": {"note": "Revisit the singular value decomposition."},
    "progress:rate_review": {"rating": "good"},
    "groups:new": {"name": "Night owls", "description": "Tuesdays"},
    "groups:member_role": {"role": "organizer"},
    "groups:goal": {"goal_kind": "topic", "goal_topic": TOPIC, "hours_per_week": "3", "start": SOON},
    "groups:milestone_new": {"title": "Catch-up", "due": LATER, "units": UNIT},
    "groups:milestone_edit": {"title": "Chapter one", "due": LATER, "units": UNIT},
    "groups:digest": {"digest": "on"},
    "signup": {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "next": "/catalog/",
    },
    "delete_account": {"password": PASSWORD},
    "login": SIGN_IN,
    "admin:login": {**SIGN_IN, "username": "staff"},
    "logout": {"next": "/catalog/"},
    "password_change": {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    },
    "password_reset": {"email": "classmate@example.com"},
    "password_reset_confirm": {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
}
SIGNED_OUT_FORMS = {"signup", "login", "admin:login", "password_reset", "password_reset_confirm"}
# The views that answer htmx otherwise, with the targets they tell apart.
HTMX_VARIANTS = {
    "progress:set_status": [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "next-resource"}],
    "progress:save_note": [{}, {"HX-Request": "true"}],
    "progress:rate_review": [{}, {"HX-Request": "true"}],
}


# Their views read no form field.
FIELDLESS_POSTS = {
    "progress:reset",
    "progress:rotate_calendar",
    "groups:join",
    "groups:leave",
    "groups:rotate_invite",
    "groups:member_remove",
    "groups:delete",
    "groups:milestone_delete",
    "groups:adopt",
    "groups:calendar",
}


def test_every_form_is_filled_in():
    posts = {name for name, methods in METHODS.items() if "POST" in methods}
    assert posts == set(GOOD_FIELDS) | FIELDLESS_POSTS


@pytest.mark.parametrize("name", GOOD_FIELDS)
def test_the_good_fields_get_through(world, name):
    # Or a malformed field would only ever meet a form that fails anyway. The organizer
    # may not delete their account while their group has other members.
    role = "anonymous" if name in SIGNED_OUT_FORMS else "organizer"
    with savepoint():
        path, environ = form_page(name, world, role)
        response = request("POST", path, body=form(GOOD_FIELDS[name]), **environ)
    assert response.status_code == (200 if name == "delete_account" else 302)
    if name == "delete_account":
        assert "Nothing was deleted." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "field"),
    [
        pytest.param(name, field, id=f"{name}-{field}")
        for name, fields in GOOD_FIELDS.items()
        for field in fields
    ],
)
def test_a_malformed_form_field_makes_no_500(world, name, field):
    role = "anonymous" if name in SIGNED_OUT_FORMS else "organizer"
    for raw in MALFORMED.values():
        body = form({**GOOD_FIELDS[name], field: raw})
        for variant in HTMX_VARIANTS.get(name, [{}]):
            with savepoint():
                path, environ = form_page(name, world, role)
                request("POST", path, body=body, **environ, **headers(variant))


def form_page(name: str, world, role: str) -> tuple[str, dict]:
    """Where a form posts to, and the session it needs: the emailed reset link first trades
    its token for a page of its own, kept in the visitor's session."""
    if role == "organizer":
        return path_for(name, world), {"HTTP_COOKIE": f"sessionid={world['session']}"}
    if name != "password_reset_confirm":
        return path_for(name, world), {"HTTP_COOKIE": ""}
    response = request("GET", path_for(name, world), HTTP_COOKIE="")
    return response["Location"], {"HTTP_COOKIE": f"sessionid={response.cookies['sessionid'].value}"}


# A malformed URL parameter, the others good: refused before any query that cannot take it.

URL_PARAMETERS = [
    pytest.param(name, parameter, id=f"{name}-{parameter}")
    for name in NAMES
    for parameter in PATTERNS[name].params
]


@pytest.mark.parametrize(("name", "parameter"), URL_PARAMETERS)
def test_a_malformed_url_parameter_makes_no_500(world, name, parameter):
    method = METHODS.get(name, ["GET"])[0]
    for raw in MALFORMED.values():
        path = path_for(name, world, **{parameter: raw})
        for role in ROLES:
            send(method, path, HTTP_COOKIE=cookies(role, world, "")["HTTP_COOKIE"])


# What turns a request away: the CSRF checks and the Host header, one at a time.

SECRET = "a" * 32  # a well-formed CSRF secret, sent unmasked as the token too
CSRF_CASES = {
    "csrftoken cookie": lambda text: ({"csrftoken": text}, {"csrfmiddlewaretoken": SECRET}, {}),
    "csrfmiddlewaretoken field": lambda text: ({}, {"csrfmiddlewaretoken": text}, {}),
    "X-CSRFToken header": lambda text: ({}, {}, {"X-CSRFToken": text}),
    "Origin header": lambda text: ({}, {"csrfmiddlewaretoken": SECRET}, {"Origin": text}),
    # Django reads the Referer only over HTTPS.
    "Referer header": lambda text: (
        {},
        {"csrfmiddlewaretoken": SECRET},
        {"Referer": text, "X-Forwarded-Proto": "https"},
    ),
}
GUARDED_FORMS = ["progress:set_status", "login"]


def csrf_request(name: str, world, cookie_values: dict, fields: dict, header_values: dict):
    jar = {"csrftoken": SECRET, **cookie_values}
    if name not in SIGNED_OUT_FORMS:
        jar["sessionid"] = world["session"]
    return send(
        "POST",
        path_for(name, world),
        body=form({**GOOD_FIELDS[name], **fields}),
        client=CSRF_CLIENT,
        HTTP_COOKIE="; ".join(f"{key}={cookie_value(value)}" for key, value in jar.items()),
        **headers(header_values),
    )


@pytest.mark.parametrize("name", GUARDED_FORMS)
def test_a_good_csrf_token_gets_through(world, name):
    # Otherwise the cases below would prove nothing.
    assert csrf_request(name, world, {}, {"csrfmiddlewaretoken": SECRET}, {}).status_code == 302


@pytest.mark.parametrize("name", GUARDED_FORMS)
@pytest.mark.parametrize("case", CSRF_CASES)
def test_a_malformed_csrf_input_is_refused_without_a_500(world, name, case):
    for raw in MALFORMED.values():
        response = csrf_request(name, world, *CSRF_CASES[case](raw.decode("latin-1")))
        assert response.status_code == 403


@pytest.mark.parametrize("name", ["home", "progress:path", "progress:set_status"])
def test_a_malformed_host_is_a_400(world, name):
    method = METHODS.get(name, ["GET"])[0]
    for raw in MALFORMED.values():
        for role in ROLES:
            response = send(
                method,
                path_for(name, world),
                HTTP_HOST=raw.decode("latin-1"),
                HTTP_COOKIE=cookies(role, world, "")["HTTP_COOKIE"],
            )
            assert response.status_code == 400


# The 500s this module found, each pinned down.


def signed_in(world) -> dict[str, str]:
    return {"HTTP_COOKIE": f"sessionid={world['session']}"}


def test_a_signed_out_htmx_request_from_no_real_page_signs_in_and_comes_back_to_the_page_asked(world):
    response = send("GET", "/groups/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://[")
    assert response["HX-Redirect"] == "/accounts/login/?next=/groups/"


@pytest.mark.parametrize("name", ["progress:set_status", "signup"])
def test_a_posted_next_that_is_a_bare_word_goes_to_the_default_page_not_to_a_view_name(world, name):
    session = signed_in(world) if name not in SIGNED_OUT_FORMS else {"HTTP_COOKIE": ""}
    for word in ("nowhere", "logout"):
        body = form({**GOOD_FIELDS[name], "next": word})
        default = "/path/welcome/" if name == "signup" else "/path/"
        assert send("POST", path_for(name, world), body=body, **session)["Location"] == default


@pytest.mark.parametrize("code", [b"%00", b"%ED%A0%80", b"not.a.code", b"x" * 65])
def test_an_invite_code_outside_the_invite_alphabet_is_a_404_before_any_query(world, code):
    with CaptureQueriesContext(connection) as queries:
        response = send("GET", path_for("groups:join", world, code=code), **signed_in(world))
    assert response.status_code == 404
    assert not [query for query in queries if "studygroup" in query["sql"]]


@pytest.mark.parametrize("user_id", [b"9" * 18, b"9" * 19, b"9" * 30])
def test_a_member_id_past_the_column_is_a_404(world, user_id):
    path = path_for("groups:member_role", world, user_id=user_id)
    assert send("POST", path, body=b"role=member", **signed_in(world)).status_code == 404


@pytest.mark.parametrize("key", ['"' + "\\000" * 8 + '"', "\x00" * 32, "A" * 32, "\xe9" * 32])
def test_a_session_cookie_no_backend_could_have_issued_is_no_session(world, key):
    response = send("GET", "/path/", HTTP_COOKIE=f"sessionid={key}")
    assert response["Location"] == "/accounts/login/?next=/path/"
    assert send("GET", "/path/", **signed_in(world)).status_code == 200


@pytest.mark.parametrize("typed", ["\x00", "ada\x00"])
def test_a_username_with_a_nul_is_counted_as_no_account(world, settings, typed):
    # The sign-in throttle may ask before the form has refused the NUL.
    recorded_username = import_string(settings.AXES_USERNAME_CALLABLE)
    request = RequestFactory().post("/accounts/login/", {"username": typed})
    for answer in (recorded_username(request), recorded_username(None, {"username": typed})):
        assert answer.startswith("[no such account ")
