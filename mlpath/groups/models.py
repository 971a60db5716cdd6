"""Learning together: study groups, their members and invite links."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.text import slugify

from mlpath.progress.models import GoalKind

# Paths under /groups/ that a group's slug must never shadow.
RESERVED_SLUGS = {"new", "join"}


def new_invite_code() -> str:
    # 32 random bytes: 256 bits, well past the 128 an invite link needs to be unguessable.
    return secrets.token_urlsafe(32)


class StudyGroupQuerySet(models.QuerySet):
    def touch(self) -> int:
        """Move the revision of these groups: their dashboards must be computed again.

        Call it in the transaction that made the change, after the change's own writes, so
        the new revision is never visible before the data it stands for.
        """
        return self.update(revision=F("revision") + 1)


class StudyGroup(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    invite_code = models.CharField(max_length=64, unique=True, default=new_invite_code, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves when the members (or a member's name) change: see signals.py. What members do
    # moves their own LearnerStamp instead, which the dashboard's key sums (progress.py).
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    # What the group works towards, chosen as a learner chooses their own goal, and the pace
    # its schedule of milestones was laid out at.
    goal_kind = models.CharField(max_length=10, choices=GoalKind.choices, default=GoalKind.PATH)
    goal_slug = models.SlugField(max_length=80, blank=True)
    hours_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("6"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("100"))],
    )

    objects = StudyGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("groups:detail", args=[self.slug])

    @classmethod
    def create(cls, *, name: str, description: str, organizer) -> "StudyGroup":
        """A new group with its creator as organizer, under the first free slug."""
        base = slugify(name)[:70].strip("-") or "group"
        if base in RESERVED_SLUGS:
            base = f"{base}-group"
        for attempt in range(1, 50):
            slug = base if attempt == 1 else f"{base}-{attempt}"
            if cls.objects.filter(slug=slug).exists():
                continue
            try:
                with transaction.atomic():
                    group = cls.objects.create(
                        name=name, slug=slug, description=description, created_by=organizer
                    )
                    Membership.objects.create(group=group, user=organizer, role=Membership.Role.ORGANIZER)
                    return group
            except IntegrityError:  # someone took the slug between our check and insert
                continue
        raise RuntimeError(f"no free slug for {name!r}")  # pragma: no cover - 49 taken variants

    def rotate_invite(self) -> None:
        """A fresh code: links with the old one stop working at once."""
        self.invite_code = new_invite_code()
        self.save(update_fields=["invite_code"])


class MembershipQuerySet(models.QuerySet):
    def organizers(self):
        return self.filter(role=Membership.Role.ORGANIZER)


class Membership(models.Model):
    class Role(models.TextChoices):
        ORGANIZER = "organizer", "Organizer"
        MEMBER = "member", "Member"

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    # An organizer's own choices: the weekly digest by email, and the secret address of the
    # group's calendar. Both are kept per organizer, so one who steps down loses them.
    digest = models.BooleanField(default=False)
    feed_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_once_per_group"),
            models.CheckConstraint(
                condition=models.Q(role__in=["organizer", "member"]), name="membership_role_known"
            ),
        ]
        indexes = [models.Index(fields=["group", "role"])]

    def __str__(self):
        return f"{self.user} in {self.group} ({self.get_role_display()})"

    @property
    def is_organizer(self) -> bool:
        return self.role == self.Role.ORGANIZER


class LastOrganizer(Exception):
    """Refused: the group would be left without an organizer."""


def _lock_organizers(group) -> list[int]:
    # Locking the organizer rows serialises two organizers leaving at the same moment,
    # so they cannot both see "someone else is organizer" and leave the group with none.
    return list(group.memberships.organizers().select_for_update().values_list("user_id", flat=True))


def leave(group: StudyGroup, user) -> None:
    with transaction.atomic():
        organizers = _lock_organizers(group)
        if organizers == [user.pk]:
            raise LastOrganizer
        group.memberships.filter(user=user).delete()


def set_role(group: StudyGroup, user_id: int, role: str) -> None:
    with transaction.atomic():
        organizers = _lock_organizers(group)
        if role == Membership.Role.MEMBER and organizers == [user_id]:
            raise LastOrganizer
        # update() sends no post_save, so this moves the revision itself.
        if group.memberships.filter(user_id=user_id).exclude(role=role).update(role=role):
            StudyGroup.objects.filter(pk=group.pk).touch()


def remove(group: StudyGroup, user_id: int) -> None:
    with transaction.atomic():
        organizers = _lock_organizers(group)
        if organizers == [user_id]:
            raise LastOrganizer
        group.memberships.filter(user_id=user_id).delete()


class GroupMilestone(models.Model):
    """A set of units the group means to have finished by a date. `units` holds unit keys
    (a resource's slug, or "resource/section"), in the order of the goal's plan: a unit the
    catalog has since retired is simply not shown or counted."""

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=100)
    due = models.DateField()
    units = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["group", "due"])]

    def __str__(self):
        return f"{self.title} ({self.due:%d %b %Y}) of {self.group}"


class DigestSent(models.Model):
    """One row per organizer, group and week: `send_digests` sends a week's digest once,
    however often it runs. The row is written in the transaction that sends the mail."""

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday of the week the digest covers
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user", "week"], name="digest_once_a_week")]

    def __str__(self):
        return f"Digest of {self.group} for {self.user}, week of {self.week:%d %b %Y}"
