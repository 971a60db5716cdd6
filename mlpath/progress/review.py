"""Spaced review of learned topics with FSRS (the `fsrs` package, the scheduler Anki uses).

Nothing here schedules by hand: every due date comes from `fsrs.Scheduler`. What is ours is
the setting of it and when it is asked:

- Finishing a unit that teaches a topic counts as the topic's first successful recall
  (rated Good), so its first review falls a few days later, not at once.
- There are no learning or relearning steps of minutes: a learner comes back to the path
  once a day at most, so "again in ten minutes" would only pile up. Again brings the topic
  back the next day or so, with a short refresher suggested.
- No fuzzing: the same history gives the same dates, which the learner can plan around and
  the tests can check. Intervals are capped at a year.

Cards are kept as `Card.to_dict()` in a JSON column, with the due date copied to an indexed
column for "what is due" queries.
"""

from datetime import date, datetime, time, timedelta, tzinfo

from fsrs import Card, Rating, Scheduler

RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
RATING_LABELS = {"again": "Again", "hard": "Hard", "good": "Good", "easy": "Easy"}
# Below this chance of recall a topic a unit rests on is suggested for a refresher even before
# its review is due: learned long ago relative to how stable it was.
REFRESH_BELOW = 0.75

SCHEDULER = Scheduler(
    desired_retention=0.9,
    learning_steps=(),
    relearning_steps=(),
    maximum_interval=365,
    enable_fuzzing=False,
)


def first_card(topic_id: int, learned_at: datetime) -> dict:
    """The schedule of a topic just learned: one Good recall at `learned_at`."""
    card, _log = SCHEDULER.review_card(Card(card_id=topic_id, due=learned_at), Rating.Good, learned_at)
    return card.to_dict()


def rate(card: dict, rating: str, now: datetime) -> dict:
    """The card after the learner's rating ("again", "hard", "good" or "easy") at `now`."""
    reviewed, _log = SCHEDULER.review_card(Card.from_dict(card), RATINGS[rating], now)
    return reviewed.to_dict()


def due_of(card: dict) -> datetime:
    return Card.from_dict(card).due


def recall(card: dict, now: datetime) -> float:
    """FSRS's estimate of the chance the learner still recalls the topic at `now`."""
    return SCHEDULER.get_card_retrievability(Card.from_dict(card), now)


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """A review is due on a day when its due time falls before that day is over: the list
    is made once a day, and a topic due at 15:00 belongs to the morning's list."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def needs_refresher(card: dict, now: datetime, day_end: datetime) -> str:
    """Why a topic should be refreshed before a unit that rests on it: "due" when its review
    is due, "faded" when FSRS's recall estimate fell below `REFRESH_BELOW`, else ""."""
    if due_of(card) < day_end:
        return "due"
    if recall(card, now) < REFRESH_BELOW:
        return "faded"
    return ""
