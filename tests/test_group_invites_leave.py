"""Invites for visitors who are signed out, and leaving a group with a confirmation first."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from mlpath.groups.models import Membership, StudyGroup

pytestmark = pytest.mark.django_db
PASSPHRASE = "a fine long passphrase"


def make_user(name):
    return User.objects.create_user(name, password="x" * 12)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def roles(group):
    return dict(group.memberships.values_list("user__username", "role"))


@pytest.fixture
def club():
    return StudyGroup.create(
        name="Tuesday linear algebra", description="Chapter 2 this week.", organizer=make_user("olga")
    )


def join_url(group):
    return reverse("groups:join", args=[group.invite_code])


def leave_url(group):
    return reverse("groups:leave", args=[group.slug])


# The invite link, signed out.


def test_a_signed_out_visitor_sees_the_group_and_how_to_join(client, club):
    url = join_url(club)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tuesday linear algebra" in html and "Chapter 2 this week." in html
    assert f'<a class="button" href="/accounts/signup/?next={url}">Sign up to join</a>' in html
    assert f'Already have an account? <a href="/accounts/login/?next={url}">Sign in</a>' in html
    assert ">Join</button>" not in html  # nothing to press before there is an account
    assert roles(club) == {"olga": "organizer"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_invite_code_is_still_a_404_when_signed_out(client, club, method):
    response = getattr(client, method)("/groups/join/not-a-real-invite-code-at-all/")
    assert response.status_code == 404
    assert "Tuesday linear algebra" not in response.content.decode()


def test_a_signed_out_post_joins_nothing_and_asks_to_sign_in(club):
    client = Client(enforce_csrf_checks=True)
    url = join_url(club)
    client.get(url)
    response = client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert Membership.objects.count() == 1
    assert roles(club) == {"olga": "organizer"}


def test_signing_up_from_an_invite_comes_back_to_join(client, club):
    url = join_url(club)
    signup_link = f"/accounts/signup/?next={url}"
    assert signup_link in client.get(url).content.decode()
    form = client.get(signup_link).content.decode()
    assert f'name="next" value="{url}"' in form
    response = client.post(
        signup_link,
        {"username": "newbie", "password1": PASSPHRASE, "password2": PASSPHRASE, "next": url},
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    html = response.content.decode()
    assert "Welcome, newbie. Your account is ready. Carry on below." in html
    assert "One more step: press Join to become a member of Tuesday linear algebra." in html
    assert ">Join</button>" in html
    assert "Here is your path" not in html
    assert "newbie" not in roles(club)  # signing up is not joining
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(club.get_absolute_url(), 302)]
    assert "Welcome to Tuesday linear algebra." in response.content.decode()
    assert roles(club) == {"olga": "organizer", "newbie": "member"}


def test_signing_up_without_an_invite_still_starts_with_the_welcome_questions(client):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "password1": PASSPHRASE, "password2": PASSPHRASE},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("progress:welcome"), 302)]
    html = response.content.decode()
    assert "Welcome, newbie. Your account is ready." in html
    assert "Carry on below" not in html


def test_a_signed_in_visitor_still_joins_with_the_button(club):
    mia = signed_in(make_user("mia"))
    html = mia.get(join_url(club)).content.decode()
    assert ">Join</button>" in html and "Sign up to join" not in html
    mia.post(join_url(club))
    assert roles(club)["mia"] == "member"


# Leaving.


def test_leaving_asks_first_and_says_what_happens(club):
    mia = make_user("mia")
    Membership.objects.create(group=club, user=mia)
    client = signed_in(mia)
    detail = client.get(club.get_absolute_url()).content.decode()
    assert f'href="{leave_url(club)}">Leave this group</a>' in detail
    assert f'action="{leave_url(club)}"' not in detail  # a link to the question, not the act itself
    response = client.get(leave_url(club))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Leave Tuesday linear algebra?" in html
    assert "Your own path and progress stay" in html
    assert (
        "you need the group&#x27;s invite link again" in html
        or "you need the group's invite link again" in html
    )
    assert ">Leave the group</button>" in html
    assert f'<a href="{club.get_absolute_url()}">Stay</a>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "mia" in roles(club)  # looking changes nothing


def test_leaving_after_confirming(club):
    mia = make_user("mia")
    Membership.objects.create(group=club, user=mia)
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    client.get(leave_url(club))
    assert client.post(leave_url(club)).status_code == 403  # no CSRF token, no leaving
    assert "mia" in roles(club)
    response = client.post(
        leave_url(club), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}, follow=True
    )
    assert response.redirect_chain == [(reverse("groups:list"), 302)]
    assert "You have left Tuesday linear algebra." in response.content.decode()
    assert roles(club) == {"olga": "organizer"}


def test_the_only_organizer_sees_why_they_cannot_leave(club):
    Membership.objects.create(group=club, user=make_user("mia"))
    olga = signed_in(User.objects.get(username="olga"))
    detail = olga.get(club.get_absolute_url()).content.decode()
    assert "You are the only organizer, so you cannot leave yet" in detail
    assert "Leave this group" not in detail and leave_url(club) not in detail
    page = olga.get(leave_url(club))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Make another member an organizer first" in html
    assert "Leave the group</button>" not in html and "<form" not in html.split("<main")[1]
    response = olga.post(leave_url(club), follow=True)
    assert "only organizer. Make another member an organizer first" in response.content.decode()
    assert roles(club) == {"olga": "organizer", "mia": "member"}


def test_the_only_member_is_offered_deleting_the_group_instead(club):
    olga = signed_in(User.objects.get(username="olga"))
    delete = reverse("groups:delete", args=[club.slug])
    detail = olga.get(club.get_absolute_url()).content.decode()
    assert "You are the only member" in detail
    assert f'<a href="{delete}">delete the group</a> instead' in detail
    assert "Leave this group" not in detail
    html = olga.get(leave_url(club)).content.decode()
    assert f'<a href="{delete}">delete the group</a> instead' in html
    assert "Leave the group</button>" not in html
    olga.post(leave_url(club))
    assert roles(club) == {"olga": "organizer"}


def test_an_organizer_with_a_co_organizer_may_leave(club):
    Membership.objects.create(group=club, user=make_user("mia"), role=Membership.Role.ORGANIZER)
    olga = signed_in(User.objects.get(username="olga"))
    assert "Leave this group</a>" in olga.get(club.get_absolute_url()).content.decode()
    assert ">Leave the group</button>" in olga.get(leave_url(club)).content.decode()
    olga.post(leave_url(club))
    assert roles(club) == {"mia": "organizer"}


def test_outsiders_cannot_see_the_leave_page(club, client):
    assert signed_in(make_user("stranger")).get(leave_url(club)).status_code == 404
    response = client.get(leave_url(club))  # signed out: sign in first, as every group page
    assert response["Location"] == f"{reverse('login')}?next={leave_url(club)}"
