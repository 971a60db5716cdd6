"""An invite link in a real Chromium, opened signed out: sign up on the way, join, be in the group.

axe-core checks the two pages only this path shows: the invite as a signed-out visitor sees
it, and the join page just after sign-up, with its welcome.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User

from mlpath.groups.models import StudyGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "an invite is one more step away"
BLOCKING = {"serious", "critical"}

axe = Axe()


@pytest.fixture
def group(db):
    olga = User.objects.create_user("olga", "olga@example.com", PASSPHRASE)
    return StudyGroup.create(
        name="Tuesday linear algebra", description="Chapter 2 this week.", organizer=olga
    )


def blocking_violations(page) -> list[str]:
    return [
        f"{page.url} {v['id']} ({v['impact']}): {'; '.join(' '.join(n['target']) for n in v['nodes'][:3])}"
        for v in axe.run(page).response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_signed_out_visitor_signs_up_from_the_invite_and_joins(browser, live_server, group, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    invite = f"{live_server.url}/groups/join/{group.invite_code}/"

    # 1. Signed out, the link says which group it is and how to join it.
    response = page.goto(invite)
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Join Tuesday linear algebra"
    assert "Chapter 2 this week." in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Join").count() == 0
    assert page.get_by_role("link", name="Sign in", exact=True).last.get_attribute("href") == (
        f"/accounts/login/?next=/groups/join/{group.invite_code}/"
    )
    failing = blocking_violations(page)

    # 2. Sign up on the way, and come back to the invite with a welcome that says so.
    page.get_by_role("link", name="Sign up to join").click()
    page.wait_for_url("**/accounts/signup/?next=**")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password confirmation").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(invite)
    status = page.get_by_role("status").filter(has_text="Welcome")
    assert status.inner_text() == "Welcome, mia. Your account is ready. Carry on below."
    main = page.locator("main").inner_text()
    assert "One more step: press Join to become a member of Tuesday linear algebra." in main
    assert "Here is your path" not in main
    failing += blocking_violations(page)

    # 3. Join, and be in the group.
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(f"**/groups/{group.slug}/")
    assert "Welcome to Tuesday linear algebra." in page.get_by_role("status").all_inner_texts()[-1]
    assert "You are a member of this group." in page.locator("main").inner_text()
    members = page.locator(".member-list").inner_text()
    assert "mia" in members and "olga" in members
    context.close()
    assert group.memberships.filter(user__username="mia").exists()
    assert not failing, "axe-core, serious or critical:\n" + "\n".join(failing)


def test_leaving_asks_first_and_the_only_organizer_sees_why_not(browser, live_server, group):
    base = live_server.url
    mia = User.objects.create_user("mia", "mia@example.com", PASSPHRASE)
    group.memberships.create(user=mia)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    failing = []

    # The only organizer is told why there is no way out, and is shown none.
    sign_in(page, base, "olga")
    page.goto(f"{base}/groups/{group.slug}/")
    assert "You are the only organizer, so you cannot leave yet" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Leave this group").count() == 0
    page.context.clear_cookies()

    # A member is asked first, and Leave the group means it.
    sign_in(page, base, "mia")
    page.goto(f"{base}/groups/{group.slug}/")
    page.get_by_role("link", name="Leave this group").click()
    page.wait_for_url(f"**/groups/{group.slug}/leave/")
    assert page.get_by_role("heading", level=1).inner_text() == "Leave Tuesday linear algebra?"
    assert page.get_by_role("link", name="Stay").get_attribute("href") == f"/groups/{group.slug}/"
    failing += blocking_violations(page)
    page.get_by_role("button", name="Leave the group").click()
    page.wait_for_url("**/groups/")
    assert "You have left Tuesday linear algebra." in page.locator(".messages").inner_text()
    context.close()
    assert not group.memberships.filter(user=mia).exists()
    assert not failing, "axe-core, serious or critical:\n" + "\n".join(failing)


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/**")
