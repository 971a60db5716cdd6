"""Spaced review with FSRS: schedules made by finishing, /path/review/, ratings, refreshers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Resource, Section, Topic
from mlpath.progress import review
from mlpath.progress.models import PathSettings, Progress, ReviewRating, SectionProgress, TopicReview
from tests.factories import make_plan_catalog

REVIEW = reverse("progress:review")
PATH = reverse("progress:path")
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


# --- The scheduler, pure ---------------------------------------------------------------------


def test_finishing_counts_as_a_first_good_recall_days_later_not_at_once():
    card = review.first_card(7, MONDAY)
    due = review.due_of(card)
    assert MONDAY + timedelta(days=1) < due < MONDAY + timedelta(days=4)
    assert review.first_card(7, MONDAY) == card  # no fuzzing: the same history, the same date


def test_better_recall_waits_longer():
    card = review.first_card(7, MONDAY)
    when = review.due_of(card)
    dues = {rating: review.due_of(review.rate(card, rating, when)) for rating in review.RATINGS}
    assert dues["again"] < dues["hard"] <= dues["good"] < dues["easy"]
    assert dues["again"] - when <= timedelta(days=2)  # again: back within a day or two
    assert dues["easy"] - when <= timedelta(days=365)


def test_due_today_means_before_the_day_is_over():
    card = review.first_card(7, MONDAY)
    due = review.due_of(card)
    day_end = review.end_of_day(due.date(), UTC)
    morning = datetime.combine(due.date(), datetime.min.time(), tzinfo=UTC)
    assert review.needs_refresher(card, morning, day_end) == "due"  # due later today
    day_before_end = review.end_of_day(due.date() - timedelta(days=1), UTC)
    assert review.needs_refresher(card, morning - timedelta(hours=1), day_before_end) == ""  # due tomorrow
    overdue = due + timedelta(days=30)
    assert review.needs_refresher(card, overdue, review.end_of_day(overdue.date(), UTC)) == "due"


# --- Schedules follow what the learner finishes -----------------------------------------------


@pytest.fixture
def alice(client, db):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def scheduled(user) -> set[str]:
    return set(TopicReview.objects.filter(user=user).values_list("topic__slug", flat=True))


def test_finishing_schedules_what_it_teaches_and_undo_or_reset_take_it_back(alice, db):
    make_plan_catalog()
    book = Resource.objects.get(slug="la-book")
    SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    assert scheduled(alice) == {"vectors"}
    change = Progress.change(alice, book, "done")  # the whole book: its sections' topics too
    assert scheduled(alice) == {"vectors", "matrices"}
    Progress.undo(alice, book, change.pk)
    assert scheduled(alice) == {"vectors"}  # the chapter's schedule predates the undone click
    Progress.change(alice, Resource.objects.get(slug="py-course"), "in_progress")
    assert scheduled(alice) == {"vectors"}  # starting is not learning
    Progress.reset(alice)
    assert scheduled(alice) == set()


def test_the_review_page_lists_what_is_due_today(client, alice, db):
    make_plan_catalog()
    with time_machine.travel(MONDAY, tick=False):
        SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    due = TopicReview.objects.get(user=alice).due
    # The day before it is due: nothing yet, and the date it comes.
    with time_machine.travel(due - timedelta(days=1), tick=False):
        html = client.get(REVIEW).content.decode()
        assert "Nothing to review today" in html and f"{due:%A} {due.day} {due:%B}" in html
    # Early on the day it is due: listed (it is due before the day is over), with a refresher.
    with time_machine.travel(due.replace(hour=0, minute=1), tick=False):
        html = client.get(REVIEW).content.decode()
        assert 'id="review-vectors"' in html and "Due today <small>1</small>" in html
        assert "To refresh it:" in html
    # Overdue a week later: still listed.
    with time_machine.travel(due + timedelta(days=7), tick=False):
        assert 'id="review-vectors"' in client.get(REVIEW).content.decode()


def test_a_rating_moves_the_next_review_and_is_kept(client, alice, db):
    make_plan_catalog()
    with time_machine.travel(MONDAY, tick=False):
        SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    row = TopicReview.objects.get(user=alice)
    with time_machine.travel(row.due, tick=False):
        response = client.post(
            reverse("progress:rate_review", args=["vectors"]),
            {"rating": "good"},
            headers={"HX-Request": "true", "HX-Target": "review-vectors"},
        )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<li id="review-vectors"')
    moved = TopicReview.objects.get(user=alice)
    assert moved.due > row.due + timedelta(days=2) and moved.reviews == 1
    assert (
        f"Rated good: next review on <strong>{moved.due:%A} {moved.due.day} {moved.due:%B}</strong>" in html
    )
    logged = ReviewRating.objects.get(user=alice)
    assert (logged.rating, logged.due_before, logged.due_after) == ("good", row.due, moved.due)


def test_again_suggests_the_shortest_refresher(client, alice, db):
    make_plan_catalog()
    SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    response = client.post(reverse("progress:rate_review", args=["vectors"]), {"rating": "again"})
    assert response.status_code == 302 and response["Location"] == REVIEW
    page = client.get(REVIEW).content.decode()
    # The video (5 h) is the shortest unit teaching vectors; the book's chapter takes 8.
    assert "To refresh it: Linear algebra video (Linear algebra video)." in page


@pytest.mark.parametrize(
    ("slug", "data", "code"),
    [
        ("vectors", {"rating": "superb"}, 400),
        ("vectors", {}, 400),
        ("matrices", {"rating": "good"}, 404),  # not learned: no schedule
        ("no-such-topic", {"rating": "good"}, 404),
    ],
)
def test_bad_ratings_change_nothing(client, alice, db, slug, data, code):
    make_plan_catalog()
    SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    before = list(TopicReview.objects.values_list("due", "reviews"))
    response = client.post(reverse("progress:rate_review", args=[slug]), data)
    assert response.status_code == code
    assert "Traceback" not in response.content.decode()
    assert list(TopicReview.objects.values_list("due", "reviews")) == before
    assert not ReviewRating.objects.exists()


def test_another_learners_schedule_is_out_of_reach(client, alice, db):
    make_plan_catalog()
    bob = User.objects.create_user("bob", password="another long password")
    SectionProgress.change(bob, Section.objects.get(slug="la-book-1"), "done")
    assert (
        client.post(reverse("progress:rate_review", args=["vectors"]), {"rating": "good"}).status_code == 404
    )
    assert "review-vectors" not in client.get(REVIEW).content.decode()
    assert TopicReview.objects.get(user=bob).reviews == 0


def test_the_path_suggests_a_refresher_before_a_unit_resting_on_a_due_topic(client, alice, db):
    make_plan_catalog()
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="matrices")
    Progress.change(alice, Resource.objects.get(slug="la-video"), "skipped")
    with time_machine.travel(MONDAY, tick=False):
        SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
        html = client.get(PATH).content.decode()
        assert "2. Matrices" in html and "quick refresher" not in html  # just learned
    due = TopicReview.objects.get(user=alice).due
    with time_machine.travel(due, tick=False):
        html = client.get(PATH).content.decode()
    box = html[html.index('class="refresh"') :].split("</div>")[0]
    assert "Vectors" in box and "its review is due" in box and f'href="{REVIEW}"' in box


@pytest.mark.parametrize("topics", [5, 300])
def test_the_review_page_has_a_fixed_query_budget(client, alice, django_assert_max_num_queries, topics):
    make_plan_catalog()
    created = Topic.objects.bulk_create([Topic(slug=f"extra-{i}", name=f"Extra {i}") for i in range(topics)])
    TopicReview.schedule(alice, [topic.id for topic in created], MONDAY)
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        # Session, user, the counts, the rows shown, the catalog revision (refreshers come from
        # the kept plan index; the first request builds it).
        client.get(REVIEW)
        with django_assert_max_num_queries(5):
            html = client.get(REVIEW).content.decode()
    assert html.count('class="review-row"') == min(topics, 20)
