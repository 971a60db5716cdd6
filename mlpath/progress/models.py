"""One learner's journey: a status per resource, its history, and their path settings."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from catalog.models import Resource, Section, Topic

from . import coverage, review
from .signals import learner_changed


class Status(models.TextChoices):
    NOT_STARTED = coverage.NOT_STARTED, "Not started"
    IN_PROGRESS = coverage.IN_PROGRESS, "In progress"
    DONE = coverage.DONE, "Done"
    SKIPPED = coverage.SKIPPED, "Skipped"


class GoalKind(models.TextChoices):
    PATH = "path", "The whole path"
    PROJECT = "project", "A project"
    TOPIC = "topic", "A topic"
    RESOURCE = "resource", "A book or course"


class PathSettings(models.Model):
    """The learner's own prerequisites: their stage order, the stages they know, their pace.

    Stages are stored by slug. Catalog rows are retired rather than deleted, and
    `coverage.effective_order` drops unknown slugs and appends new stages, so a
    catalog change never leaves a learner with a broken order.
    """

    DEFAULT_HOURS_PER_WEEK = Decimal("6")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="path_settings"
    )
    stage_order = models.JSONField(default=list, blank=True)
    known_stages = models.JSONField(default=list, blank=True)
    hours_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_HOURS_PER_WEEK,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("100"))],
    )
    # Topics the learner says they know ("I know this"), by slug like the stages.
    known_topics = models.JSONField(default=list, blank=True)
    # The one goal: the whole path in the thread's order, or a target that the plan narrows to.
    goal_kind = models.CharField(max_length=10, choices=GoalKind.choices, default=GoalKind.PATH)
    goal_slug = models.SlugField(max_length=80, blank=True)
    # What the planner prefers when several units teach the same topics.
    level = models.PositiveSmallIntegerField(choices=Resource.Level.choices, default=Resource.Level.BEGINNER)
    preferred_kinds = models.JSONField(default=list, blank=True)
    free_only = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "path settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_week__gt=0) & Q(hours_per_week__lte=100), name="hours_per_week_in_range"
            )
        ]

    def __str__(self):
        return f"Path settings of {self.user}"

    @classmethod
    def for_user(cls, user) -> "PathSettings":
        """The saved settings, or unsaved defaults: reading a page never writes."""
        return cls.objects.filter(user=user).first() or cls(user=user)


class ProgressQuerySet(models.QuerySet):
    def statuses(self, user) -> dict[int, str]:
        """{resource id: status} for one learner, in one query."""
        return dict(self.filter(user=user).values_list("resource_id", "status"))


class Progress(models.Model):
    """Where one learner stands with one resource. At most one row per pair (a constraint)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    note = models.TextField(blank=True, max_length=5000)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "progress"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource"], name="progress_one_row_per_learner_resource"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice for choice, _ in Status.choices]), name="progress_status_known"
            ),
        ]
        # No index on (resource, status): nothing reads by it, and every click rewrote it.

    def __str__(self):
        return f"{self.user} · {self.resource} · {self.get_status_display()}"

    def mark(self, status: str, now=None) -> None:
        """Move to `status`, keeping the timestamps honest. The caller saves."""
        now = now or timezone.now()
        self.status = status
        if status == Status.NOT_STARTED:
            self.started_at = self.finished_at = None
        elif status == Status.IN_PROGRESS:
            self.started_at = self.started_at or now
            self.finished_at = None
        else:
            self.finished_at = now

    @classmethod
    def locked_for(cls, user, resource) -> "Progress":
        """The learner's row for `resource`, created if need be and locked until the
        transaction ends. Two simultaneous first clicks meet the unique constraint, and
        get_or_create reads the winner's row for the loser."""
        progress = cls.objects.select_for_update().get_or_create(user=user, resource=resource)[0]
        progress.user, progress.resource = user, resource  # already in hand: no query to load them again
        return progress

    @classmethod
    def change(cls, user, resource, status: str) -> "StatusChange | None":
        """Set a status and log it; None when it was already so (nothing to log or undo)."""
        with transaction.atomic():
            progress = cls.locked_for(user, resource)
            previous = progress.status
            if previous == status:
                return None
            now = timezone.now()
            before = progress.started_at, progress.finished_at
            progress.mark(status, now)
            return progress._logged(previous, before, now)

    @classmethod
    def undo(cls, user, resource, change_id: int) -> "tuple[StatusChange | None, str]":
        """Take back the learner's latest change, timestamps and all.

        Only the latest change, within its window, and only while the resource still has
        the status it set: an Undo button left on screen (another tab, an old card) must
        not revert something newer. Returns the new change, or None and the reason.
        """
        with transaction.atomic():
            change = StatusChange.objects.filter(user=user, resource=resource, pk=change_id).first()
            if change is None:
                return None, "there is no such change of yours to this resource"
            # With the row locked, nothing newer can land on this resource while we look.
            progress = cls.locked_for(user, resource)
            latest = StatusChange.objects.latest_for(user)
            if latest.pk != change.pk:
                return None, "a newer change has been made since"
            if change.via_reset:
                return None, "it was part of a reset"
            if change.via_undo:
                return None, "it was itself an undo"
            if not change.undoable():
                return None, "it is too late to undo it"
            row = progress
            if change.section_id is not None:
                row = SectionProgress.objects.select_for_update().get_or_create(
                    user=user, section_id=change.section_id
                )[0]
                row.user, row.resource = user, resource
            if row.status != change.to_status:
                return None, "it has changed since"
            now = timezone.now()
            before = row.started_at, row.finished_at
            if change.from_started_at or change.from_finished_at:
                row.status = change.from_status
                row.started_at, row.finished_at = change.from_started_at, change.from_finished_at
            else:  # not started, or history from before the timestamps were kept
                row.mark(change.from_status, now)
            return Progress._logged(row, change.to_status, before, now, undo=True), ""

    def _logged(self, previous: str, before, now, undo: bool = False) -> "StatusChange":
        """Save the new status and write its history row; `before` is what the timestamps
        were, kept so an undo can put them back exactly. `self` may be a SectionProgress."""
        self.save(update_fields=["status", "started_at", "finished_at", "updated_at"])
        change = StatusChange.objects.create(
            user=self.user,
            resource=self.resource,
            section_id=getattr(self, "section_id", None),
            from_status=previous,
            to_status=self.status,
            from_started_at=before[0],
            from_finished_at=before[1],
            changed_at=now,
            via_undo=undo,
        )
        if self.status == Status.DONE and not undo:
            TopicReview.schedule(self.user, self._taught_topic_ids(), now)
        elif undo and previous == Status.DONE:
            # Taking back a "done" takes back the schedules it made, unless already reviewed.
            TopicReview.objects.filter(user=self.user, learned_at=before[1], reviews=0).delete()
        learner_changed.send(Progress, user=self.user)
        return change

    def _taught_topic_ids(self):
        """The active topics the resource teaches, itself or through its active sections: two
        subqueries rather than joins across both links (no duplicates, as on the resource page)."""
        sections = Section.topics.through.objects.filter(
            section__resource=self.resource_id, section__retired=False
        )
        return (
            Topic.objects.active()
            .filter(
                Q(pk__in=Resource.topics.through.objects.filter(resource=self.resource_id).values("topic_id"))
                | Q(pk__in=sections.values("topic_id"))
            )
            .values_list("id", flat=True)
        )

    @classmethod
    def save_note(cls, user, resource, note: str) -> "Progress":
        with transaction.atomic():
            progress = cls.locked_for(user, resource)
            progress.note = note
            progress.save(update_fields=["note", "updated_at"])
            # Only the learner's own pages show notes: no learner_changed. (The stamp still
            # moves the key of their groups' dashboards, which then recompute for nothing.)
            LearnerStamp.bump(user)
            return progress

    @classmethod
    def reset(cls, user) -> int:
        """Every status back to not started, logged; notes stay. Returns how many changed."""
        with transaction.atomic():
            now = timezone.now()
            rows = _reset_rows(cls.objects.filter(user=user), user, now, lambda row: (row.resource_id, None))
            sections = _reset_rows(
                SectionProgress.objects.filter(user=user).select_related("section"),
                user,
                now,
                lambda row: (row.section.resource_id, row.section_id),
            )
            # Nothing is learned any more, so nothing is left to review (the ratings stay, as
            # history does).
            TopicReview.objects.filter(user=user).delete()
            if rows or sections:
                learner_changed.send(cls, user=user)
            return len(rows)


def _reset_rows(progress, user, now, ids) -> list:
    """Lock the started and done rows of `progress`, log each one's return to not started as
    part of a reset, and reset them. `ids(row)` gives its (resource id, section id or None)."""
    rows = list(progress.select_for_update().exclude(status=Status.NOT_STARTED))
    changes = []
    for row in rows:
        resource_id, section_id = ids(row)
        changes.append(
            StatusChange(
                user=user,
                resource_id=resource_id,
                section_id=section_id,
                from_status=row.status,
                to_status=Status.NOT_STARTED,
                from_started_at=row.started_at,
                from_finished_at=row.finished_at,
                changed_at=now,
                via_reset=True,
            )
        )
    StatusChange.objects.bulk_create(changes)
    progress.model.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Status.NOT_STARTED, started_at=None, finished_at=None, updated_at=now
    )
    return rows


class SectionProgress(models.Model):
    """Where one learner stands with one section of a resource. Finishing every section
    counts as finishing the resource, and a resource marked done covers its sections: both
    are worked out when the path is read (index.effective_status), not stored twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="section_progress"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "section progress"
        constraints = [
            models.UniqueConstraint(fields=["user", "section"], name="section_progress_one_row_per_learner"),
            models.CheckConstraint(
                condition=Q(status__in=[choice for choice, _ in Status.choices]),
                name="section_progress_status_known",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.section} · {self.get_status_display()}"

    mark = Progress.mark  # the same timestamp rules as a whole resource

    @classmethod
    def change(cls, user, section, status: str) -> "StatusChange | None":
        """Set a section's status and log it (with its resource); None when it was already so.

        The resource's own row is locked first, as a click on the resource would, so a click
        on a section and one on its resource are never interleaved."""
        with transaction.atomic():
            Progress.locked_for(user, section.resource)
            row = cls.objects.select_for_update().get_or_create(user=user, section=section)[0]
            row.user, row.resource = user, section.resource
            previous = row.status
            if previous == status:
                return None
            now = timezone.now()
            before = row.started_at, row.finished_at
            row.mark(status, now)
            return Progress._logged(row, previous, before, now)

    def _taught_topic_ids(self):
        return Topic.objects.active().filter(sections=self.section_id).values_list("id", flat=True)

    @classmethod
    def statuses(cls, user) -> dict[int, str]:
        """{section id: status} for one learner, in one query (not-started rows left out)."""
        rows = cls.objects.filter(user=user).exclude(status=Status.NOT_STARTED)
        return dict(rows.values_list("section_id", "status"))


# A history row's hours: its section's, or its resource's when the change was to the whole.
_ROW_HOURS = Coalesce(F("section__hours"), F("resource__hours"))
_FINISHED = Q(to_status=coverage.DONE, via_undo=False)
_TAKEN_BACK = Q(from_status=coverage.DONE, via_undo=True)  # an Undo of a "done"


class StatusChangeQuerySet(models.QuerySet):
    def finished_by_day(self, user, since) -> dict:
        """{day: (finished, hours)} from `since` (an aware datetime) on, in one query: the
        sections and whole resources marked done each day, less those taken back with Undo.
        A reset is no finishing, and its rows are left out."""
        rows = (
            self.filter(user=user, changed_at__gte=since, via_reset=False)
            .filter(_FINISHED | _TAKEN_BACK)
            .annotate(day=TruncDate("changed_at"))
            .order_by()
            .values("day")
            .annotate(
                done=Count("id", filter=_FINISHED),
                undone=Count("id", filter=_TAKEN_BACK),
                done_hours=Sum(_ROW_HOURS, filter=_FINISHED),
                undone_hours=Sum(_ROW_HOURS, filter=_TAKEN_BACK),
            )
        )
        return {
            row["day"]: (
                max(0, row["done"] - row["undone"]),
                max(0.0, float((row["done_hours"] or 0) - (row["undone_hours"] or 0))),
            )
            for row in rows
        }

    def active_days(self, user) -> list:
        """Every day the learner started or finished something (by a click, not an Undo or a
        reset): what the week streaks count."""
        return list(
            self.filter(
                user=user,
                to_status__in=(coverage.DONE, coverage.IN_PROGRESS),
                via_undo=False,
                via_reset=False,
            )
            .annotate(day=TruncDate("changed_at"))
            .order_by()
            .values_list("day", flat=True)
            .distinct()
        )

    def latest_for(self, user) -> "StatusChange | None":
        """The learner's latest change, with the slug and title of its resource (all an Undo
        prints: the rest of the row, its JSON above all, cost more to load than the query)."""
        changes = self.filter(user=user).select_related("resource", "section").order_by("-changed_at", "-id")
        return changes.defer(
            *("resource__fixture_state", "resource__summary", "resource__other_urls"),
            "section__fixture_state",
        ).first()


class StatusChange(models.Model):
    """Append-only history of status changes: last activity, undo, dashboards, calendars.

    Nothing updates or deletes these rows except the cascade when a learner deletes
    their account.
    """

    # No index of its own: the (user, -changed_at) one below serves everything by user, and
    # each click's history row was written into both.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="status_changes")
    # Set when the change was to one section of the resource; empty for the whole resource.
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    # The row's timestamps before this change, so an undo restores them, not "now".
    from_started_at = models.DateTimeField(null=True, blank=True)
    from_finished_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    via_reset = models.BooleanField(default=False, help_text="Written by “reset my progress”, not one click.")
    via_undo = models.BooleanField(default=False, help_text="Written by an Undo: no Undo of its own.")

    objects = StatusChangeQuerySet.as_manager()

    # Undo is for the change you just made, not one from last week.
    UNDO_WINDOW = timedelta(minutes=30)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["user", "-changed_at"])]

    def __str__(self):
        return f"{self.user}: {self.resource} {self.from_status} → {self.to_status}"

    def undoable(self, now=None) -> bool:
        return not self.via_reset and (now or timezone.now()) - self.changed_at <= self.UNDO_WINDOW


class LearnerStamp(models.Model):
    """Moves whenever anything a learner's path shows changes: a status, a note, a reset,
    the path settings. Study-group dashboards are keyed by the sum of their members'
    stamps (see groups/summary.py), so one indexed read tells every process and server
    whether the rows it computed are still right.

    A counter moved in the same transaction as the change: a rolled-back change rolls
    the counter back with it, so a value never stands for two different states.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=1)

    def __str__(self):
        return f"{self.user_id}@{self.version}"

    @classmethod
    def bump(cls, user) -> None:
        # An UPDATE first: every change but a learner's very first finds the row there.
        if not cls.objects.filter(user=user).update(version=models.F("version") + 1):
            # First change ever: 1, never the 0 that "no row" reads as. Two first changes at
            # once both land here; the loser's insert fails inside its savepoint and it
            # moves the winner's row instead.
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, version=1)
            except IntegrityError:
                cls.objects.filter(user=user).update(version=models.F("version") + 1)


class TopicReview(models.Model):
    """One learner's review schedule for one topic they learned: an FSRS card (see review.py).

    Made when a unit teaching the topic is marked done; rated on /path/review/."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    card = models.JSONField()  # fsrs.Card.to_dict()
    due = models.DateTimeField()  # the card's due date, copied here to be indexed
    learned_at = models.DateTimeField()
    reviews = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="one_review_per_topic")]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self):
        return f"{self.user}: {self.topic} due {self.due:%Y-%m-%d}"

    @classmethod
    def schedule(cls, user, topic_ids, now) -> None:
        """Give each topic just learned its first schedule; one already scheduled keeps its own
        (one insert, conflicts ignored)."""
        cls.objects.bulk_create(
            [
                cls(user=user, topic_id=topic_id, card=card, due=review.due_of(card), learned_at=now)
                for topic_id in sorted(set(topic_ids))
                for card in (review.first_card(topic_id, now),)
            ],
            ignore_conflicts=True,
        )

    def rate(self, rating: str, now) -> "ReviewRating":
        """The learner's recall, rated; the card and its due date move as FSRS says."""
        with transaction.atomic():
            due_before = self.due
            self.card = review.rate(self.card, rating, now)
            self.due = review.due_of(self.card)
            self.reviews += 1
            self.save(update_fields=["card", "due", "reviews"])
            logged = ReviewRating.objects.create(
                user=self.user,
                topic=self.topic,
                rating=rating,
                reviewed_at=now,
                due_before=due_before,
                due_after=self.due,
            )
            learner_changed.send(TopicReview, user=self.user)
            return logged


class ReviewRating(models.Model):
    """Append-only: each review the learner rated (activity, streaks, the calendar)."""

    class Rating(models.TextChoices):
        AGAIN = "again", "Again"
        HARD = "hard", "Hard"
        GOOD = "good", "Good"
        EASY = "easy", "Easy"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    rating = models.CharField(max_length=5, choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    due_before = models.DateTimeField()
    due_after = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "-reviewed_at"])]

    def __str__(self):
        return f"{self.user}: {self.topic} {self.rating}"


class Milestone(models.Model):
    """A stage, a pillar or a goal the learner finished: celebrated once, kept in the activity."""

    class Kind(models.TextChoices):
        STAGE = "stage", "Stage finished"
        PILLAR = "pillar", "Pillar complete"
        GOAL = "goal", "Goal reached"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    slug = models.CharField(max_length=100)  # the stage's or pillar's slug; "kind:target" for a goal
    label = models.CharField(max_length=300)
    reached_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "slug"], name="one_milestone_each")]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} {self.label}"

    @property
    def headline(self) -> str:
        return f"{self.get_kind_display()}: {self.label}."

    @classmethod
    def record(cls, user, reached, now) -> list["Milestone"]:
        """Of `reached` ((kind, slug, label) triples), the ones never reached before, now
        recorded; a milestone is celebrated once, even if it is lost and reached again."""
        seen = set(cls.objects.filter(user=user).values_list("kind", "slug"))
        new = [
            cls(user=user, kind=kind, slug=slug[:100], label=label[:300], reached_at=now)
            for kind, slug, label in reached
            if (kind, slug[:100]) not in seen
        ]
        cls.objects.bulk_create(new, ignore_conflicts=True)
        return new


class CalendarFeed(models.Model):
    """The secret in a learner's calendar address: whoever holds it can read the feed, as
    calendar apps must, so it is long, random and can be replaced (rotated) at any time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"calendar feed of {self.user}"

    @classmethod
    def rotate(cls, user) -> "CalendarFeed":
        """A new secret for the learner's feed: the old address stops working at once."""
        feed, _ = cls.objects.update_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
        return feed


def _stamp(sender, user, **kwargs):
    LearnerStamp.bump(user)


learner_changed.connect(_stamp, dispatch_uid="progress-learner-stamp")
