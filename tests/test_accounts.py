"""/accounts/*: sign up, sign in and out, password change and reset."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
SIGNUP = reverse("signup")
LOGIN = reverse("login")
PASSPHRASE = "a long passphrase about eigenvectors and gradient descent, easy to remember ok"


def signup(client, **overrides):
    data = {"username": "ada", "email": "", "password1": PASSPHRASE, "password2": PASSPHRASE, **overrides}
    return client.post(SIGNUP, data)


def test_signup_creates_the_account_and_signs_in(client, shipped_catalog):
    response = signup(client)
    assert response.status_code == 302
    # A new learner is asked their goal, what they know and their pace first (skippable).
    assert response["Location"] == reverse("progress:welcome")
    assert User.objects.get(username="ada").email == ""
    assert client.get(reverse("progress:path")).status_code == 200


def test_signup_accepts_a_passphrase_of_64_characters_or_more(client):
    assert len(PASSPHRASE) >= 64
    assert signup(client, email="ada@example.com").status_code == 302
    assert User.objects.get(username="ada").check_password(PASSPHRASE)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"password1": "short1", "password2": "short1"}, "at least 8 characters"),
        ({"password1": "password", "password2": "password"}, "too common"),
        ({"password1": "83749201746", "password2": "83749201746"}, "entirely numeric"),
        ({"password2": "something else entirely"}, "t match"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"username": "has space"}, "Enter a valid username"),
        ({"password1": "x" * 2000, "password2": "x" * 2000}, "at most 1024 characters"),
    ],
)
def test_signup_explains_what_is_wrong_and_creates_nothing(client, overrides, error):
    response = signup(client, **overrides)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not User.objects.exists()


def test_usernames_are_unique_whatever_the_case(client):
    User.objects.create_user("Ada", password="x" * 12)
    response = signup(client)
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, shipped_catalog):
    User.objects.create_user("ada", password=PASSPHRASE)
    response = client.get(reverse("progress:settings"))
    assert response["Location"] == f"{LOGIN}?next=/path/settings/"
    response = client.post(LOGIN, {"username": "ada", "password": PASSPHRASE, "next": "/path/settings/"})
    assert response["Location"] == "/path/settings/"


def test_sign_in_ignores_a_next_on_another_site(client):
    User.objects.create_user("ada", password=PASSPHRASE)
    response = client.post(
        LOGIN, {"username": "ada", "password": PASSPHRASE, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("progress:path")


def test_a_wrong_password_says_so(client):
    User.objects.create_user("ada", password=PASSPHRASE)
    response = client.post(LOGIN, {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_sign_out_is_post_only(client):
    user = User.objects.create_user("ada", password=PASSPHRASE)
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("progress:path")).status_code == 302


def test_sign_out_ends_the_session_on_the_server(client):
    User.objects.create_user("ada", password=PASSPHRASE)
    client.post(LOGIN, {"username": "ada", "password": PASSPHRASE})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Someone who copied the cookie is signed in as ada, as long as the session lives.
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = key
    assert copy.get(reverse("password_change")).status_code == 200

    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert copy.get(reverse("password_change")).status_code == 302


def test_sign_out_has_the_browser_forget_the_pages_it_kept(client):
    client.force_login(User.objects.create_user("ada", password=PASSPHRASE))
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("home")
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_htmx_keeps_no_snapshot_of_a_signed_in_page(client):
    assert 'hx-history="false"' not in client.get(reverse("home")).content.decode()
    client.force_login(User.objects.create_user("ada", password=PASSPHRASE))
    assert re.search(r'<body [^>]*hx-history="false"', client.get(reverse("home")).content.decode())


def test_signed_in_pages_offer_sign_out_as_a_form(client):
    client.force_login(User.objects.create_user("ada", password=PASSPHRASE))
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/".*?Sign out', html, re.S)


def test_password_change(client):
    user = User.objects.create_user("ada", password=PASSPHRASE)
    client.force_login(user)
    new = "another fine passphrase for the new term"
    response = client.post(
        reverse("password_change"), {"old_password": PASSPHRASE, "new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(new)
    assert "Password changed" in client.get(reverse("password_change_done")).content.decode()


def test_password_reset_mails_a_link_that_works(client):
    User.objects.create_user("ada", email="ada@example.com", password=PASSPHRASE)
    response = client.post(reverse("password_reset"), {"email": "ada@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.subject == "Reset your mlpath password"
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "a brand new passphrase from the reset"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("password_reset_complete")
    assert User.objects.get(username="ada").check_password(new)


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_reset_pages_are_ours_not_the_admins(client):
    html = client.get(reverse("password_reset")).content.decode()
    assert "mlpath" in html and "Django administration" not in html
