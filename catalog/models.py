"""What there is to learn. No users in here: learners live in mlpath.progress."""

import uuid
from urllib.parse import urlencode

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from .validators import validate_other_urls


class CatalogEntry(models.Model):
    """Fields every catalog row shares.

    `fixture_state` is the row as the YAML described it at the last load. The
    loader compares it with the row and the YAML to tell an admin edit from a
    fixture edit (see catalog/merge.py). Rows are retired, never deleted, so a
    learner's history keeps pointing at something.
    """

    slug = models.SlugField(max_length=80, unique=True)
    retired = models.BooleanField(default=False)
    fixture_state = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CatalogQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired=False)


class Source(CatalogEntry):
    """One of the documents the catalog was built from (a seed)."""

    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200, blank=True)
    published = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    document = models.CharField(max_length=200, blank=True, help_text="File name under shared/seeds/.")
    summary = models.TextField(blank=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title


class OrderedEntry(CatalogEntry):
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    summary = models.TextField(blank=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self):
        return self.name


class Stage(OrderedEntry):
    """A phase of the path. `position` is the default order; learners may reorder."""


class Pillar(OrderedEntry):
    """A branch of the mathematics: linear algebra, probability, calculus, optimization."""


class Topic(CatalogEntry):
    name = models.CharField(max_length=100)
    pillar = models.ForeignKey(Pillar, null=True, blank=True, on_delete=models.PROTECT, related_name="topics")
    # The topics this one rests on: a DAG, checked by the loader and the admin.
    requires = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="required_by")

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ResourceQuerySet(CatalogQuerySet):
    def for_listing(self):
        """What a resource card shows, and nothing more: one query, whatever the size.

        Leaving out the JSON `fixture_state` and timestamps makes a thousand cards several
        times cheaper. The stage and pillar are left to the caller, who has the few of them
        already (`with_stages`): joined in, each card built two more model instances.
        """
        return self.only(
            *("id", "slug", "title", "creator", "kind", "level", "cost", "hours", "summary", "retired"),
            *("source_count", "stage_id", "pillar_id"),
        )

    def recount_sources(self) -> int:
        """Set `source_count` from the links, for these resources, in one UPDATE."""
        links = (
            Resource.sources.through.objects.filter(resource_id=models.OuterRef("pk"))
            .order_by()
            .values("resource_id")
            .annotate(count=models.Count("source_id"))
            .values("count")
        )
        return self.update(source_count=Coalesce(models.Subquery(links), 0))


class Resource(CatalogEntry):
    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        VIDEO_SERIES = "video_series", "Video series"
        COURSE = "course", "Course"
        BOOK = "book", "Book"
        ARTICLE = "article", "Article"
        INTERACTIVE = "interactive", "Interactive site"
        LECTURE_SERIES = "lecture_series", "Lecture series"
        PROJECT = "project", "Project"

    class Level(models.IntegerChoices):
        # Integers, so "the lower level first" is a plain ORDER BY.
        BEGINNER = 1, "Beginner"
        INTERMEDIATE = 2, "Intermediate"
        ADVANCED = 3, "Advanced"

    class Cost(models.TextChoices):
        FREE = "free", "Free"
        PAID = "paid", "Paid"

    title = models.CharField(max_length=200)
    # Empty when the seeds name a resource without giving its address: we do not guess
    # one, and the pages offer a web search for the title and creator instead.
    url = models.URLField(max_length=500, blank=True)
    other_urls = models.JSONField(
        default=list, blank=True, validators=[validate_other_urls], help_text="Mirrors, playlists, code."
    )
    creator = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    cost = models.CharField(max_length=10, choices=Cost.choices)
    hours = models.DecimalField(max_digits=5, decimal_places=1, help_text="Honest estimate of study time.")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="resources")
    pillar = models.ForeignKey(
        Pillar, null=True, blank=True, on_delete=models.PROTECT, related_name="resources"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="resources")
    sources = models.ManyToManyField(Source, blank=True, related_name="resources")
    # What a learner should know before it (for a project: what it needs). The planner places it
    # after these topics are covered.
    assumes = models.ManyToManyField(Topic, blank=True, related_name="assumed_by_resources")
    # How many seeds recommend it, kept with the links (recount_sources) by the loader and
    # the admin: the catalog sorts on it, and counting the links for every row of every
    # page was half the time of the list.
    source_count = models.PositiveSmallIntegerField(default=0, editable=False)
    prerequisites = models.ManyToManyField(
        "self",
        through="Prerequisite",
        through_fields=("resource", "required"),
        symmetrical=False,
        blank=True,
        related_name="unlocks",
    )
    summary = models.TextField()

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["stage__position", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="resource_hours_positive"),
            models.CheckConstraint(condition=Q(level__in=[1, 2, 3]), name="resource_level_known"),
        ]
        indexes = [models.Index(fields=["retired", "stage", "pillar"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:detail", args=[self.slug])

    @property
    def search_url(self) -> str:
        return search_url(self.title, self.creator)


def with_stages(resources, stages, pillars) -> list:
    """`resources` with their stage and pillar set from the given rows (by id), without a
    query or a model instance per resource."""
    stage_by_id = {stage.pk: stage for stage in stages}
    pillar_by_id = {pillar.pk: pillar for pillar in pillars}
    rows = list(resources)
    for row in rows:
        row.stage = stage_by_id[row.stage_id]
        row.pillar = pillar_by_id.get(row.pillar_id)
    return rows


def search_url(title: str, creator: str) -> str:
    """A web search for a resource whose address we do not know."""
    return "https://duckduckgo.com/?" + urlencode({"q": f"{title} {creator}"})


class Section(CatalogEntry):
    """A chapter, episode, lecture or unit of a resource: the smallest thing a plan offers.

    Its `position` is its number in the resource (a chapter number), unique within it; its
    hours add up, with its siblings', to the resource's total (the loader checks both).
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    url = models.URLField(max_length=500, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="sections")
    assumes = models.ManyToManyField(Topic, blank=True, related_name="assumed_by_sections")

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["resource", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="section_hours_positive"),
        ]
        indexes = [models.Index(fields=["resource", "position"])]

    def __str__(self):
        return f"{self.position}. {self.title}"


class Prerequisite(models.Model):
    """`resource` asks that `required` be finished first."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="prerequisite_links")
    required = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="unlock_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "required"], name="prerequisite_unique"),
            models.CheckConstraint(condition=~Q(resource=models.F("required")), name="prerequisite_not_self"),
        ]

    def __str__(self):
        return f"{self.required} → {self.resource}"


class CatalogRevision(models.Model):
    """A single row whose `token` changes whenever anything in the catalog changes.

    Every app process keeps the catalog's recommender index in memory (see
    mlpath.progress.path) and asks this row, in one indexed query per request, whether
    the index is still current. A random token rather than a counter: a rolled-back
    transaction restores the token together with the rows it described, so a token can
    never come back meaning different content.

    `loaded_digest` and `loaded_token` remember the fixture files of the last load, so
    an unchanged reload (every deploy runs one) returns at once.
    """

    token = models.CharField(max_length=32)
    loaded_digest = models.CharField(max_length=64, blank=True)
    loaded_token = models.CharField(max_length=32, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    SINGLETON = 1

    class Meta:
        verbose_name = "catalog revision"

    def __str__(self):
        return f"catalog revision {self.token}"

    @classmethod
    def current(cls) -> str:
        return cls.objects.filter(pk=cls.SINGLETON).values_list("token", flat=True).first() or ""

    @classmethod
    def bump(cls, **fields) -> str:
        """Mark the catalog changed. Anything that writes catalog rows without model
        signals (bulk_create, update(), raw SQL) must call this in the same transaction."""
        token = uuid.uuid4().hex
        cls.objects.update_or_create(pk=cls.SINGLETON, defaults={"token": token, **fields})
        return token
