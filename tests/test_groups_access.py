"""Every groups URL and action, for every kind of visitor: the expected status, and refused
POSTs change nothing."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from mlpath.groups.models import Membership, StudyGroup

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "outsider", "member", "organizer", "other_organizer"]


@pytest.fixture
def cast(db):
    users = {name: User.objects.create_user(name, password="x" * 12) for name in ROLES[1:]}
    users["target"] = User.objects.create_user("target", password="x" * 12)
    group = StudyGroup.create(name="Linear Algebra Club", description="", organizer=users["organizer"])
    Membership.objects.create(group=group, user=users["member"])
    Membership.objects.create(group=group, user=users["target"])
    StudyGroup.create(name="Other group", description="", organizer=users["other_organizer"])
    return {"users": users, "group": group}


def client_for(cast, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(cast["users"][role])
    return client


def snapshot(group):
    group = StudyGroup.objects.filter(pk=group.pk).first()
    if group is None:
        return None
    return (
        group.name,
        group.invite_code,
        sorted(group.memberships.values_list("user__username", "role")),
    )


LOGIN = "login"
# (name, method, url builder, data, expected status per role in ROLES order)
# 302 means "sent to sign in" for anonymous, and "done, redirected" for the others.
MATRIX = [
    ("list", "get", lambda g, u: reverse("groups:list"), None, [LOGIN, 200, 200, 200, 200]),
    ("new form", "get", lambda g, u: reverse("groups:new"), None, [LOGIN, 200, 200, 200, 200]),
    ("detail", "get", lambda g, u: g.get_absolute_url(), None, [LOGIN, 404, 200, 200, 404]),
    (
        "dashboard",
        "get",
        lambda g, u: reverse("groups:dashboard", args=[g.slug]),
        None,
        [LOGIN, 404, 403, 200, 404],
    ),
    ("csv", "get", lambda g, u: reverse("groups:csv", args=[g.slug]), None, [LOGIN, 404, 403, 200, 404]),
    (
        "join page",
        "get",
        lambda g, u: reverse("groups:join", args=[g.invite_code]),
        None,
        [LOGIN, 200, 200, 200, 200],
    ),
    (
        "delete page",
        "get",
        lambda g, u: reverse("groups:delete", args=[g.slug]),
        None,
        [LOGIN, 404, 403, 200, 404],
    ),
    (
        "rotate invite",
        "post",
        lambda g, u: reverse("groups:rotate_invite", args=[g.slug]),
        {},
        [LOGIN, 404, 403, 302, 404],
    ),
    (
        "make organizer",
        "post",
        lambda g, u: reverse("groups:member_role", args=[g.slug, u["target"].pk]),
        {"role": "organizer"},
        [LOGIN, 404, 403, 302, 404],
    ),
    (
        "remove member",
        "post",
        lambda g, u: reverse("groups:member_remove", args=[g.slug, u["target"].pk]),
        {},
        [LOGIN, 404, 403, 302, 404],
    ),
    ("delete", "post", lambda g, u: reverse("groups:delete", args=[g.slug]), {}, [LOGIN, 404, 403, 302, 404]),
    ("leave", "post", lambda g, u: reverse("groups:leave", args=[g.slug]), {}, [LOGIN, 404, 302, 302, 404]),
]
CASES = [
    pytest.param(name, method, url, data, role, expected[i], id=f"{name}-{role}")
    for name, method, url, data, expected in MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("name", "method", "url", "data", "role", "expected"), CASES)
def test_access_matrix(cast, name, method, url, data, role, expected):
    group, users = cast["group"], cast["users"]
    before = snapshot(group)
    client = client_for(cast, role)
    path = url(group, users)
    response = getattr(client, method)(path, data) if method == "post" else client.get(path)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected, (name, role)
    if method == "post" and (expected == LOGIN or expected >= 400):
        assert snapshot(group) == before, "a refused POST changed something"


def test_the_matrix_covers_every_groups_url():
    from mlpath.groups import urls

    covered = {"groups:" + name for name in ("list", "new", "detail", "dashboard", "csv", "join", "delete")}
    covered |= {"groups:rotate_invite", "groups:member_role", "groups:member_remove", "groups:leave"}
    assert {f"groups:{pattern.name}" for pattern in urls.urlpatterns} == covered


@pytest.mark.parametrize(
    "name",
    ["groups:rotate_invite", "groups:leave"],
)
def test_state_changes_refuse_get(cast, name):
    client = client_for(cast, "organizer")
    before = snapshot(cast["group"])
    assert client.get(reverse(name, args=[cast["group"].slug])).status_code == 405
    assert snapshot(cast["group"]) == before


def test_member_actions_refuse_get(cast):
    client = client_for(cast, "organizer")
    group, target = cast["group"], cast["users"]["target"]
    for name in ("groups:member_role", "groups:member_remove"):
        assert client.get(reverse(name, args=[group.slug, target.pk])).status_code == 405


def test_posts_without_a_csrf_token_are_refused(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["users"]["organizer"])
    group = cast["group"]
    before = snapshot(group)
    for path in (
        reverse("groups:rotate_invite", args=[group.slug]),
        reverse("groups:member_remove", args=[group.slug, cast["users"]["target"].pk]),
        reverse("groups:delete", args=[group.slug]),
        reverse("groups:new"),
    ):
        assert client.post(path, {"name": "x"}).status_code == 403
    assert snapshot(group) == before
    assert StudyGroup.objects.count() == 2
