"""A learner's path in a real Chromium: sign up, follow the recommendation, come back later."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "matrices before breakfast, gradients after lunch"


def sign_up(page, base, username, *, welcome=None):
    """Sign up, then answer the welcome page with `welcome(page)`, or skip it."""
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password confirmation").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/path/welcome/")
    if welcome is None:
        page.get_by_role("link", name="Skip for now", exact=True).click()
    else:
        welcome(page)
        page.get_by_role("button", name="Save and see my path").click()
    page.wait_for_url("**/path/")


def next_title(page) -> str:
    return page.locator("#next-resource h2").inner_text()


def bar(page, block: str, slug: str) -> int:
    return int(page.locator(f"#{block} progress[aria-labelledby$='-label-{slug}']").get_attribute("value"))


def test_a_new_learner_says_what_they_know_and_follows_the_plan(page, live_server, shipped_catalog):
    def knows_programming(page):
        page.get_by_label("I know all of Programming").check()
        page.get_by_label("Hours you can study per week").fill("7.25")

    sign_up(page, live_server.url, "ada", welcome=knows_programming)
    # Programming is known, so the thread's first project comes first.
    assert "Projects" in page.locator("#next-resource .eyebrow").text_content()
    assert next_title(page) == "Take part in a Kaggle competition"
    assert "7.3 hours a week" in page.locator("#eta").inner_text()
    assert bar(page, "stage-bars", "programming") == int(
        page.locator("#stage-bars progress[aria-labelledby$='-label-programming']").get_attribute("max")
    )
    page.evaluate("window.__sameDocument = true")  # a full page load would wipe this

    seen = []
    for _ in range(4):
        before = next_title(page)
        seen.append(before)
        page.locator("#next-resource").get_by_role("button", name="I have done it").click()
        page.wait_for_function(
            "title => document.querySelector('#next-resource h2').innerText !== title", arg=before
        )
        assert page.evaluate("window.__sameDocument") is True
        # Keyboard users keep their place: focus moves to the new next step, which is announced.
        assert page.evaluate("document.querySelector('#next-resource').contains(document.activeElement)")
        assert page.evaluate("document.activeElement !== document.body")
        assert "Next:" in page.locator("#path-announce").text_content()
    assert len(set(seen)) == 4  # no step came twice
    assert "Mathematics" in page.locator("#next-resource .eyebrow").text_content()
    # The bars moved without a reload.
    assert bar(page, "stage-bars", "projects") > 0
    assert "You marked" in page.locator("#next-resource").inner_text()
    where_we_were = next_title(page)

    # Sign out, sign in again: everything is as it was left.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/path/")
    page.wait_for_url("**/accounts/login/?next=/path/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")
    assert next_title(page) == where_we_were


def test_a_project_goal_plans_only_what_the_project_needs(page, live_server, shipped_catalog):
    def wants_the_network(page):
        page.get_by_label("A project").check()
        page.get_by_label("Which project").select_option("neural-network-from-scratch")

    sign_up(page, live_server.url, "yann", welcome=wants_the_network)
    assert "Build a neural network from scratch" in page.locator(".lead").inner_text()
    steps = page.locator("#plan li").all_inner_texts()
    assert steps, "the plan lists the steps after the next one"
    assert "Build a neural network from scratch" in steps[-1]


def test_undo_brings_the_previous_recommendation_back(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "grace")
    first = next_title(page)
    page.locator("#next-resource").get_by_role("button", name="Not for me").click()
    page.wait_for_function("t => document.querySelector('#next-resource h2').innerText !== t", arg=first)
    page.locator("#next-resource").get_by_role("button", name="Undo").click()
    page.wait_for_function("t => document.querySelector('#next-resource h2').innerText === t", arg=first)
    assert bar(page, "stage-bars", "programming") == 0
    # Undoing the undo is not offered: the button is gone, not a redo under the same name.
    assert page.locator("#next-resource").get_by_role("button", name="Undo").count() == 0


def test_math_first_gets_a_math_recommendation_straight_away(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "emmy")
    page.get_by_role("link", name="Set your goal, what you already know and your pace").click()
    page.wait_for_url("**/path/settings/")
    for _ in range(2):
        page.get_by_role("button", name="Move Mathematics up").click()
        page.wait_for_function(
            "() => (document.activeElement.getAttribute('aria-label') || '').includes('Mathematics')"
        )
    page.get_by_role("button", name="Save settings").last.click()
    page.wait_for_url("**/path/")
    assert "Mathematics" in page.locator("#next-resource .eyebrow").text_content()


def test_a_catalog_card_marks_progress_in_place(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "hedy")
    page.goto(f"{live_server.url}/catalog/?q=seeing")
    page.evaluate("window.__sameDocument = true")
    card = page.locator("#status-seeing-theory")
    card.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "() => document.querySelector('#status-seeing-theory .status-badge').innerText === 'In progress'"
    )
    assert page.evaluate("window.__sameDocument") is True
    page.goto(f"{live_server.url}/path/")
    assert "Seeing Theory" in page.locator("#in-progress").inner_text()


def test_only_the_latest_card_keeps_its_undo_and_undo_puts_it_back(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "karen")
    page.goto(f"{live_server.url}/catalog/?pillar=probability")
    theory, islr = page.locator("#status-seeing-theory"), page.locator("#status-islr")
    theory.get_by_role("button", name="Start").click()
    theory.get_by_role("button", name="Undo").wait_for()
    islr.get_by_role("button", name="Mark done").click()
    islr.get_by_role("button", name="Undo").wait_for()
    assert theory.get_by_role("button", name="Undo").count() == 0  # gone without a reload
    islr.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "() => document.querySelector('#status-islr .status-badge').innerText === 'Not started'"
    )
    assert theory.locator(".status-badge").inner_text() == "In progress"


def test_a_refused_click_says_so_instead_of_doing_nothing(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "alan")
    before = next_title(page)
    # Simulate a stale page: the security token is gone from the page and the cookie jar.
    page.evaluate(
        """() => {
        document.body.setAttribute('hx-headers', '{}');
        document.querySelectorAll('input[name=csrfmiddlewaretoken]').forEach(i => i.value = 'stale');
    }"""
    )
    page.context.clear_cookies(name="csrftoken")
    page.locator("#next-resource").get_by_role("button", name="Start").click()
    page.locator("#htmx-error").get_by_text("Please reload the page").wait_for()
    assert next_title(page) == before


def test_a_book_page_follows_its_chapters_in_place(page, live_server, shipped_catalog):
    from axe_playwright_python.sync_playwright import Axe

    sign_up(page, live_server.url, "emmy")
    page.goto(f"{live_server.url}/catalog/seeing-theory/")
    page.evaluate("window.__sameDocument = true")
    book = page.locator("#status-seeing-theory .status-badge")
    chapters = page.locator(".section-control")
    count = chapters.count()
    assert count == 6 and book.inner_text() == "Not started"
    for position in range(1, count + 1):
        control = f"#section-seeing-theory-{position}"
        page.locator(control).get_by_role("button", name="Mark done").click()
        page.wait_for_function(
            "id => document.querySelector(id + ' .status-badge').innerText === 'Done'", arg=control
        )
        # The keyboard keeps its place: focus is on the swapped-in control's first button.
        page.wait_for_function(
            "id => document.querySelector(id).contains(document.activeElement)", arg=control, timeout=3000
        )
        # The book's own status follows its chapters without a reload.
        expected = "Done" if position == count else "In progress"
        page.wait_for_function(
            "text => document.querySelector('#status-seeing-theory .status-badge').innerText === text",
            arg=expected,
        )
    assert page.evaluate("window.__sameDocument") is True
    serious = [
        violation["id"]
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_the_map_is_walked_with_the_keyboard(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "sofia")
    page.get_by_role("link", name="See the map of your whole goal").click()
    page.wait_for_url("**/path/map/")
    page.get_by_role("link", name="← Back to my path").focus()
    # Tab from the page's first link reaches the picture's topics, each a link of its own.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('map-node')"):
            break
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label and label.endswith((": next", ": later", ": in progress", ": learned", ": known"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/topics/*/")
    assert page.get_by_role("heading", level=1).inner_text() == label.rsplit(":", 1)[0]


def test_a_review_is_rated_in_place(page, live_server, shipped_catalog):
    from datetime import timedelta

    from django.utils import timezone

    from mlpath.progress.models import TopicReview

    sign_up(page, live_server.url, "grete")
    page.goto(f"{live_server.url}/catalog/seeing-theory/")
    page.locator("#section-seeing-theory-1").get_by_role("button", name="Mark done").click()
    page.wait_for_function(
        "() => document.querySelector('#section-seeing-theory-1 .status-badge').innerText === 'Done'"
    )
    TopicReview.objects.update(due=timezone.now() - timedelta(hours=1))
    page.goto(f"{live_server.url}/path/review/")
    page.evaluate("window.__sameDocument = true")
    row = page.locator(".review-row").first
    slug = row.get_attribute("id")
    row.get_by_role("button", name="Good").click()
    page.locator(f"#{slug}").get_by_text("Rated good: next review on").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_function(
        "id => document.querySelector('#' + id).contains(document.activeElement)", arg=slug
    )


def test_reaching_the_goal_is_celebrated_in_place(page, live_server, shipped_catalog):
    from django.contrib.auth.models import User

    from mlpath.progress.models import PathSettings

    sign_up(page, live_server.url, "ida")
    PathSettings.objects.update_or_create(
        user=User.objects.get(username="ida"), defaults={"goal_kind": "topic", "goal_slug": "eigenvalues"}
    )
    page.goto(f"{live_server.url}/path/")
    page.evaluate("window.__sameDocument = true")
    for _ in range(10):
        if page.locator("#next-done").count() == 0:
            break
        before = next_title(page)
        page.locator("#next-resource").get_by_role("button", name="I have done it").click()
        page.wait_for_function(
            "title => document.querySelector('#next-resource h2').innerText !== title", arg=before
        )
    assert next_title(page) == "You have reached your goal"
    page.locator("#celebrate").get_by_text("Goal reached: Eigenvalues").wait_for()
    assert page.evaluate("window.__sameDocument") is True
