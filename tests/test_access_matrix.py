"""One access matrix for the whole URLconf: every URL pattern, for every kind of visitor.

The test walks the URLconf itself, so a new URL pattern without a row below fails
`test_every_url_pattern_has_a_row`. Each cell is its own test, such as
`groups:dashboard-outsider` or `groups:leave-POST-member`.

Beside the matrix:
- every GET answered to a signed-in visitor is private, whatever its status;
- views that only accept POST refuse GET (their GET rows say 405);
- every POST that would succeed is refused without a CSRF token;
- a route with no POST row refuses POST;
- refused requests change nothing, and neither does any GET.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalog.models import Section, Stage
from mlpath.groups.models import GroupMilestone, Membership, StudyGroup
from mlpath.groups.plans import unit_choices
from mlpath.progress.models import CalendarFeed, Progress
from mlpath.progress.path import current_plan_index
from tests.factories import make_catalog

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "member", "organizer", "other_organizer", "staff")
GET, POST = "GET", "POST"
LOGIN = "login"  # 302 to the sign-in page, with next= this URL
ADMIN = "admin login"  # 302 to the admin's sign-in page, with next= this URL
NOOP = "noop"  # 302 back with a message, and nothing changed (nothing to do, or a rule said no)

# Every app URL is one route name. The admin adds dozens of generated patterns whose access
# rule is the admin's own (staff only), so it is one entry here, checked at a few of its URLs.
ADMIN_SITE = "admin:*"
# Served by WhiteNoise before the URLconf is consulted, so the walk cannot find it.
STATIC = "static"

# What each role gets. 302 on a POST means the change was accepted and the visitor sent on;
# on a GET it means the page sent them somewhere else (a signed-in visitor on the sign-up page).
# The organizer runs the study group, the member and a classmate belong to it; the other
# organizer runs a group of their own; staff can use the admin but belong to no group.
# fmt: off
MATRIX = [
    # route name                           method anonymous outsider  member    organizer other_org staff
    ("home",                               GET,   200,      200,      200,      200,      200,      200),
    ("healthz",                            GET,   200,      200,      200,      200,      200,      200),
    (STATIC,                               GET,   200,      200,      200,      200,      200,      200),
    ("catalog:list",                       GET,   200,      200,      200,      200,      200,      200),
    ("catalog:detail",                     GET,   200,      200,      200,      200,      200,      200),
    ("topics:detail",                      GET,   200,      200,      200,      200,      200,      200),
    # One learner's own path: anyone signed in, always their own.
    ("progress:path",                      GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:map",                       GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:activity",                  GET,   LOGIN,    200,      200,      200,      200,      200),
    # Reviews are found by topic among the learner's own: nobody can name another's.
    ("progress:review",                    GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:rate_review",               GET,   LOGIN,    405,      405,      405,      405,      405),
    ("progress:rate_review",               POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:calendar",                  GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:rotate_calendar",           GET,   LOGIN,    405,      405,      405,      405,      405),
    ("progress:rotate_calendar",           POST,  LOGIN,    302,      302,      302,      302,      302),
    # The member's feed: its secret address is the key, whoever holds it (calendar apps do).
    ("progress:calendar_feed",             GET,   200,      200,      200,      200,      200,      200),
    ("progress:welcome",                   GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:welcome",                   POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:settings",                  GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:settings",                  POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:set_status",                GET,   LOGIN,    405,      405,      405,      405,      405),
    ("progress:set_status",                POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:set_section_status",        GET,   LOGIN,    405,      405,      405,      405,      405),
    ("progress:set_section_status",        POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:save_note",                 GET,   LOGIN,    405,      405,      405,      405,      405),
    ("progress:save_note",                 POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:reset",                     GET,   LOGIN,    200,      200,      200,      200,      200),
    ("progress:reset",                     POST,  LOGIN,    302,      302,      302,      302,      302),
    ("progress:export",                    GET,   LOGIN,    200,      200,      200,      200,      200),
    # Study groups: outsiders get 404 (a private group's existence stays hidden), members 403
    # on organizer pages; staff get no way round that.
    ("groups:list",                        GET,   LOGIN,    200,      200,      200,      200,      200),
    ("groups:new",                         GET,   LOGIN,    200,      200,      200,      200,      200),
    ("groups:new",                         POST,  LOGIN,    302,      302,      302,      302,      302),
    # The invite's link is the key: a signed-out visitor sees the group's name and "Sign up to
    # join"; joining itself needs an account.
    ("groups:join",                        GET,   200,      200,      200,      200,      200,      200),
    ("groups:join",                        POST,  LOGIN,    302,      NOOP,     NOOP,     302,      302),
    ("groups:detail",                      GET,   LOGIN,    404,      200,      200,      404,      404),
    ("groups:dashboard",                   GET,   LOGIN,    404,      403,      200,      404,      404),
    ("groups:csv",                         GET,   LOGIN,    404,      403,      200,      404,      404),
    # Leaving asks first; the only organizer is told why they cannot (200, no button).
    ("groups:leave",                       GET,   LOGIN,    404,      200,      200,      404,      404),
    ("groups:leave",                       POST,  LOGIN,    404,      302,      NOOP,     404,      404),
    ("groups:rotate_invite",               GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:rotate_invite",               POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:member_role",                 GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:member_role",                 POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:member_remove",               GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:member_remove",               POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:delete",                      GET,   LOGIN,    404,      403,      200,      404,      404),
    ("groups:delete",                      POST,  LOGIN,    404,      403,      302,      404,      404),
    # The group's goal and schedule: every member reads it, organizers change it.
    ("groups:goal",                        GET,   LOGIN,    404,      403,      200,      404,      404),
    ("groups:goal",                        POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:schedule",                    GET,   LOGIN,    404,      200,      200,      404,      404),
    ("groups:milestone_new",               GET,   LOGIN,    404,      403,      200,      404,      404),
    ("groups:milestone_new",               POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:milestone_edit",              GET,   LOGIN,    404,      403,      200,      404,      404),
    ("groups:milestone_edit",              POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:milestone_delete",            GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:milestone_delete",            POST,  LOGIN,    404,      403,      302,      404,      404),
    # A member's own page is for the group's organizers only: everyone else, members too, 404.
    ("groups:member",                      GET,   LOGIN,    404,      404,      200,      404,      404),
    ("groups:adopt",                       GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:adopt",                       POST,  LOGIN,    404,      302,      302,      404,      404),
    ("groups:digest",                      GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:digest",                      POST,  LOGIN,    404,      403,      302,      404,      404),
    ("groups:calendar",                    GET,   LOGIN,    405,      405,      405,      405,      405),
    ("groups:calendar",                    POST,  LOGIN,    404,      403,      302,      404,      404),
    # The organizer's group feed: its secret address is the key, as with a member's own.
    ("groups:calendar_feed",               GET,   200,      200,      200,      200,      200,      200),
    # Accounts.
    ("signup",                             GET,   200,      302,      302,      302,      302,      302),
    ("signup",                             POST,  302,      NOOP,     NOOP,     NOOP,     NOOP,     NOOP),
    ("delete_account",                     GET,   LOGIN,    200,      200,      200,      200,      200),
    # The group's only organizer is refused (200, the form with the reason) while members remain.
    ("delete_account",                     POST,  LOGIN,    302,      302,      200,      302,      302),
    ("login",                              GET,   200,      200,      200,      200,      200,      200),
    ("login",                              POST,  302,      302,      302,      302,      302,      302),
    ("logout",                             GET,   405,      405,      405,      405,      405,      405),
    ("logout",                             POST,  302,      302,      302,      302,      302,      302),
    ("password_change",                    GET,   LOGIN,    200,      200,      200,      200,      200),
    ("password_change",                    POST,  LOGIN,    302,      302,      302,      302,      302),
    ("password_change_done",               GET,   LOGIN,    200,      200,      200,      200,      200),
    ("password_reset",                     GET,   200,      200,      200,      200,      200,      200),
    ("password_reset",                     POST,  302,      302,      302,      302,      302,      302),
    ("password_reset_done",                GET,   200,      200,      200,      200,      200,      200),
    # The emailed link is the secret: whoever holds it may set the password.
    ("password_reset_confirm",             GET,   302,      302,      302,      302,      302,      302),
    ("password_reset_confirm",             POST,  302,      302,      302,      302,      302,      302),
    ("password_reset_complete",            GET,   200,      200,      200,      200,      200,      200),
    # The admin, at a few representative URLs: staff only, everyone else to its sign-in page.
    ("admin:login",                        GET,   200,      200,      200,      200,      200,      302),
    ("admin:index",                        GET,   ADMIN,    ADMIN,    ADMIN,    ADMIN,    ADMIN,    200),
    ("admin:catalog_resource_changelist",  GET,   ADMIN,    ADMIN,    ADMIN,    ADMIN,    ADMIN,    200),
    ("admin:groups_studygroup_change",     GET,   ADMIN,    ADMIN,    ADMIN,    ADMIN,    ADMIN,    200),
    ("admin:groups_studygroup_delete",     POST,  ADMIN,    ADMIN,    ADMIN,    ADMIN,    ADMIN,    302),
]
# fmt: on

PASSWORD = "a passphrase about eigenvalues"
NEW_PASSWORD = "another passphrase about gradients"


@dataclass
class World:
    users: dict[str, User]
    group: StudyGroup
    resource_slug: str
    section_slug: str
    topic_slug: str
    stage_slugs: list[str]
    feed_token: str
    group_feed_token: str
    milestone_id: int
    unit_key: str  # a unit of the group goal's plan


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The cast, built once: each case runs in a savepoint inside this transaction, so it
    starts from the same rows and its writes are rolled back (as with setUpTestData)."""
    # The same fast hasher that conftest sets for each test, which starts too late for this.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> World:
    catalog = make_catalog(resources=9)
    users = {
        name: User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        for name in ("outsider", "member", "organizer", "other_organizer", "classmate")
    }
    users["staff"] = User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    group = StudyGroup.create(name="Linear Algebra Club", description="", organizer=users["organizer"])
    Membership.objects.create(group=group, user=users["member"])
    Membership.objects.create(group=group, user=users["classmate"])
    StudyGroup.create(name="Other group", description="", organizer=users["other_organizer"])
    # Some progress for everyone, so paths, dashboards and exports have something to show.
    resources = catalog["resources"]
    for user in users.values():
        Progress.change(user, resources[0], "done")
        Progress.change(user, resources[1], "in_progress")
    section = Section.objects.create(
        slug="chapter-one", resource=resources[2], position=1, title="Chapter one", hours=resources[2].hours
    )
    section.topics.add(catalog["topics"][0])
    unit_key = unit_choices(current_plan_index()[1], group)[0][0]
    milestone = GroupMilestone.objects.create(
        group=group, title="Week 1", due=timezone.localdate() + timedelta(days=6), units=[unit_key]
    )
    Membership.objects.filter(group=group, user=users["organizer"]).update(feed_token="organizer-feed-secret")
    return World(
        users=users,
        group=group,
        resource_slug=resources[2].slug,
        section_slug=section.slug,
        topic_slug=catalog["topics"][0].slug,
        stage_slugs=list(Stage.objects.active().values_list("slug", flat=True)),
        feed_token=CalendarFeed.rotate(users["member"]).token,
        group_feed_token="organizer-feed-secret",
        milestone_id=milestone.pk,
        unit_key=unit_key,
    )


# Path converters filled with real objects, by the converter's name. A new converter name
# fails here with a KeyError naming it.
def url_kwargs(name: str, params, world: World) -> dict:
    # Read afresh: signing in changes last_login, which invalidates older reset tokens.
    member = User.objects.get(pk=world.users["member"].pk)
    values = {
        # A slug under /groups/ is the study group's, under /topics/ a topic's, and the section
        # status's a section's; elsewhere it is a resource's.
        "slug": world.group.slug
        if name.startswith("groups:")
        else world.topic_slug
        if name.startswith("topics:") or name == "progress:rate_review"
        else world.section_slug
        if name == "progress:set_section_status"
        else world.resource_slug,
        "code": world.group.invite_code,
        "feed_token": world.group_feed_token if name == "groups:calendar_feed" else world.feed_token,
        "milestone_id": world.milestone_id,
        # Organizers act on the classmate, so a member acting on someone else is checked too.
        "user_id": world.users["classmate"].pk,
        "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
        "token": default_token_generator.make_token(member),
        # Only the study group's admin pages are sampled.
        "object_id": world.group.pk,
    }
    return {param: values[param] for param in params}


def post_data(name: str, role: str, world: World) -> dict:
    signed_in_as = "member" if role == "anonymous" else role
    return {
        "progress:settings": {"order": world.stage_slugs, "hours_per_week": "5"},
        "progress:set_status": {"status": "done"},
        "progress:set_section_status": {"status": "done"},
        "progress:rate_review": {"rating": "good"},
        "progress:welcome": {"goal_kind": "path", "hours_per_week": "5", "level": "1"},
        "progress:save_note": {"note": "Revisit the singular value decomposition."},
        "groups:new": {"name": "Night owls", "description": ""},
        "groups:member_role": {"role": "organizer"},
        "groups:goal": {
            "goal_kind": "path",
            "hours_per_week": "3",
            "start": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
        "groups:milestone_new": {
            "title": "Catch-up",
            "due": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "units": [world.unit_key],
        },
        "groups:milestone_edit": {
            "title": "Chapter one",
            "due": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "units": [world.unit_key],
        },
        "groups:digest": {"digest": "on"},
        "signup": {"username": "newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        "delete_account": {"password": PASSWORD},
        "login": {"username": signed_in_as, "password": PASSWORD},
        "password_change": {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        "password_reset": {"email": "member@example.com"},
        "password_reset_confirm": {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        "admin:groups_studygroup_delete": {"post": "yes"},
    }.get(name, {})


# Walking the URLconf.


@dataclass(frozen=True)
class Pattern:
    name: str  # "groups:dashboard", or a stand-in for an unnamed pattern
    route: str
    params: tuple[str, ...]


def walk(resolver=None, prefix="", namespace="") -> list[Pattern]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            found += walk(entry, route, inner)
            continue
        if entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
        else:
            name = f"<unnamed {route}>"
        found.append(Pattern(name, route, tuple(entry.pattern.converters)))
    return found


def matrix_key(name: str) -> str:
    return ADMIN_SITE if name == "admin" or name.startswith(("admin:", "<unnamed admin/")) else name


PATTERNS = {pattern.name: pattern for pattern in walk()}


def test_every_url_pattern_has_a_row():
    discovered = {matrix_key(name): pattern.route for name, pattern in PATTERNS.items()}
    covered = {matrix_key(name) for name, *_ in MATRIX} - {STATIC}
    missing = sorted(set(discovered) - covered)
    assert not missing, (
        "These URL patterns have no row in the access matrix (tests/test_access_matrix.py); "
        "add one saying what each role gets: "
        + ", ".join(name if name.startswith("<") else f"{name} ({discovered[name]})" for name in missing)
    )
    stale = sorted(covered - set(discovered))
    assert not stale, f"The access matrix has rows for URL patterns that no longer exist: {stale}"


def test_the_matrix_has_one_row_per_route_and_method():
    keys = [(name, method) for name, method, *_ in MATRIX]
    assert len(keys) == len(set(keys))
    assert all(len(row) == 2 + len(ROLES) for row in MATRIX)


# Making the requests.


def client_for(role: str, world: World, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        # A fresh copy: signing in stamps last_login on the instance, and the world's
        # instances must match the rolled-back rows (reset tokens are made from them).
        client.force_login(User.objects.get(pk=world.users[role].pk))
    return client


def url_for(name: str, method: str, world: World, client: Client) -> str:
    if name == STATIC:
        return "/static/css/mlpath.css"
    url = reverse(name, kwargs=url_kwargs(name, PATTERNS[name].params, world))
    resolved = resolve(url)
    if name == "admin:login":
        # Served by the throttled wrapper in mlpath/urls.py, in front of the admin's own.
        assert resolved.route == "admin/login/", f"{url} is not the throttled admin sign-in"
    else:
        assert resolved.view_name == name, f"{url} does not resolve to {name}"
    if name == "password_reset_confirm" and method == POST:
        # Django swaps the emailed token for a session key first, then takes the new password.
        url = client.get(url)["Location"]
    return url


def snapshot() -> dict:
    """Every row of every table but the sessions (signing in and out legitimately writes
    those): what a refused request must leave alone. Plain SQL, as the ORM's query
    building would cost more than the request under test."""
    quote = connection.ops.quote_name
    tables = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label == "sessions":
                continue
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")
            tables[table] = cursor.fetchall()
    return tables


def redirect_to(page: str, url: str) -> str:
    return f"{page}?{urlencode({'next': url}, safe='/')}"


def is_success(expected) -> bool:
    return expected in (200, 302, NOOP)


CELLS = [
    pytest.param(
        name,
        method,
        role,
        expected,
        id=f"{name}-{role}" if method == GET else f"{name}-{method}-{role}",
    )
    for name, method, *expected_by_role in MATRIX
    for role, expected in zip(ROLES, expected_by_role, strict=True)
]


@pytest.mark.parametrize(("name", "method", "role", "expected"), CELLS)
def test_access(world, settings, name, method, role, expected):
    if name == STATIC:
        # Tests skip collectstatic, so WhiteNoise reads the files where they live.
        settings.WHITENOISE_USE_FINDERS = True
    client = client_for(role, world)
    url = url_for(name, method, world, client)
    before = snapshot()
    response = client.post(url, post_data(name, role, world)) if method == POST else client.get(url)

    where = f"{method} {url} as {role}"
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert response["Location"] == redirect_to(reverse("login"), url), where
    elif expected == ADMIN:
        assert response.status_code == 302, where
        assert response["Location"] == redirect_to(reverse("admin:login"), url), where
    elif expected in (302, NOOP):
        assert response.status_code == 302, where
        assert not response["Location"].startswith(reverse("login")), where
    else:
        assert response.status_code == expected, where
    if method == GET or not is_success(expected) or expected == NOOP:
        assert snapshot() == before, f"{where} changed the database"


# A page for a signed-in visitor shows their name at least, so no shared cache may keep it,
# and neither may the browser (Back after sign-out). Static files are the same for everyone.
def one_signed_in_role_per_answer(expected_by_role) -> list[str]:
    """The first signed-in role to get each different answer (a page, a 403, a 404, a redirect)."""
    first = {}
    for role, expected in zip(ROLES, expected_by_role, strict=True):
        if role != "anonymous":
            first.setdefault(expected, role)
    return list(first.values())


PRIVATE_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, method, *expected_by_role in MATRIX
    if method == GET and name != STATIC
    for role in one_signed_in_role_per_answer(expected_by_role)
]


@pytest.mark.parametrize(("name", "role"), PRIVATE_CASES)
def test_every_page_for_a_signed_in_visitor_is_private(world, name, role):
    client = client_for(role, world)
    url = url_for(name, GET, world, client)
    response = client.get(url)
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert directives & {"private", "no-store"}, f"GET {url} as {role}: Cache-Control {directives}"


# Every POST that the matrix lets through must still be refused without a CSRF token.
CSRF_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, method, *expected_by_role in MATRIX
    if method == POST
    for role, expected in zip(ROLES, expected_by_role, strict=True)
    if is_success(expected)
]


@pytest.mark.parametrize(("name", "role"), CSRF_CASES)
def test_a_post_without_a_csrf_token_is_refused(world, name, role):
    client = client_for(role, world, enforce_csrf_checks=True)
    url = url_for(name, POST, world, client)
    before = snapshot()
    response = client.post(url, post_data(name, role, world))
    assert response.status_code == 403
    assert "403_csrf.html" in [template.name for template in response.templates]
    assert snapshot() == before


# A route with no POST row must refuse POST, so a form added to a page cannot slip past
# the checks above. Asked as the organizer, whom no group page turns away.
GET_ONLY = [
    pytest.param(name, id=name)
    for name in dict.fromkeys(name for name, *_ in MATRIX)
    if (name, POST) not in {(row[0], row[1]) for row in MATRIX} and matrix_key(name) != ADMIN_SITE
]


@pytest.mark.parametrize("name", GET_ONLY)
def test_a_route_without_a_post_row_refuses_post(world, settings, name):
    settings.WHITENOISE_USE_FINDERS = True
    client = client_for("organizer", world)
    url = url_for(name, POST, world, client)
    before = snapshot()
    assert client.post(url).status_code == 405
    assert snapshot() == before
