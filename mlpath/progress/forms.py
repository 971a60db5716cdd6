from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from catalog.models import CatalogRevision, Resource, Stage, Topic

from .coverage import effective_order
from .models import GoalKind, PathSettings, Progress, ReviewRating, Status
from .signals import learner_changed


class StatusForm(forms.Form):
    """A new status, or `undo`: the id of the change to take back (the Undo button)."""

    status = forms.ChoiceField(choices=Status.choices, required=False)
    undo = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("status") and data.get("undo") is None:
            raise forms.ValidationError("Choose a status.")
        return data


class RatingForm(forms.Form):
    """How well the learner recalled a topic: FSRS's four ratings."""

    rating = forms.ChoiceField(choices=ReviewRating.Rating.choices)


class NoteForm(forms.ModelForm):
    class Meta:
        model = Progress
        fields = ["note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4, "maxlength": 5000})}
        labels = {"note": "Your note"}
        help_texts = {"note": "Private to you: what clicked, what to revisit, where you stopped."}


class TopicBox(NamedTuple):
    slug: str
    name: str
    id: str
    checked: bool


class OrderRow(NamedTuple):
    slug: str
    name: str
    can_up: bool
    can_down: bool
    focus: str  # "up" or "down" on the row just moved: that button keeps the focus


@dataclass(frozen=True)
class CatalogChoices:
    """What the learner can choose from on the welcome and settings pages: plain tuples,
    read in three queries and kept in the cache per catalog revision."""

    stages: tuple[tuple[str, str], ...]  # (slug, name) in catalog order
    topic_groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (pillar name, topics)
    projects: tuple[tuple[str, str], ...]  # (slug, title)
    resource_groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (kind, resources)

    def goal_slugs(self, kind: str) -> frozenset[str]:
        if kind == GoalKind.PROJECT:
            return frozenset(slug for slug, _ in self.projects)
        groups = self.topic_groups if kind == GoalKind.TOPIC else self.resource_groups
        return frozenset(slug for _, rows in groups for slug, _ in rows)


NO_PILLAR = "Programming and practice"
# The book-or-course goal lists its resources by kind, books and courses first.
GOAL_KIND_GROUPS = [
    (Resource.Kind.BOOK, "Books"),
    (Resource.Kind.COURSE, "Courses"),
    (Resource.Kind.LECTURE_SERIES, "Lecture series"),
    (Resource.Kind.VIDEO_SERIES, "Video series"),
    (Resource.Kind.VIDEO, "Videos"),
    (Resource.Kind.INTERACTIVE, "Interactive sites"),
    (Resource.Kind.ARTICLE, "Articles"),
]


def catalog_choices() -> CatalogChoices:
    """One query while the catalog is unchanged (its revision), three more after a change."""
    token = CatalogRevision.current()
    if not token:
        return _read_choices()
    # The key moves with the catalog, so an entry is never stale; the timeout hands memory back.
    return cache.get_or_set(f"catalog-choices:{token}", _read_choices, timeout=3600)


def _read_choices() -> CatalogChoices:
    topics = (
        Topic.objects.active()
        .order_by(F("pillar__position").asc(nulls_first=True), "pillar__slug", "name", "slug")
        .values_list("slug", "name", "pillar__name")
    )
    resources = Resource.objects.active().order_by("title", "slug").values_list("slug", "title", "kind")
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for slug, title, kind in resources:
        by_kind.setdefault(kind, []).append((slug, title))
    return CatalogChoices(
        stages=tuple(Stage.objects.active().values_list("slug", "name")),
        topic_groups=tuple(
            (pillar or NO_PILLAR, tuple((slug, name) for slug, name, _ in rows))
            for pillar, rows in groupby(topics, key=itemgetter(2))
        ),
        projects=tuple(by_kind.get(Resource.Kind.PROJECT, ())),
        resource_groups=tuple(
            (label, tuple(by_kind[kind])) for kind, label in GOAL_KIND_GROUPS if by_kind.get(kind)
        ),
    )


class HoursField(forms.DecimalField):
    """Hours to one decimal place: 7.25 is taken as 7.3 (half up), not refused. No digit
    limits of its own: once rounded, the range is all there is to check."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and value.is_finite() and abs(value) < 1000:
            value = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return value


def hours_per_week_field(*, label: str, help_text: str, required: str, what: str, example: str) -> HoursField:
    """Hours a week, from 0.5 to 100 (the settings' range), with messages that say `what`
    ("Hours per week", "Hours a week") and give `example`."""
    return HoursField(
        label=label,
        min_value=Decimal("0.5"),
        max_value=Decimal("100"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=help_text,
        error_messages={
            "required": required,
            "invalid": f"{what} must be a number, such as {example} or 7.5.",
            "min_value": f"{what} must be greater than or equal to %(limit_value)s.",
            "max_value": f"{what} must be less than or equal to %(limit_value)s.",
        },
    )


# The kinds of resource a learner can prefer, as they would say it, and the kinds each stands for.
KIND_PREFERENCES = {
    "videos": ("Videos", [Resource.Kind.VIDEO, Resource.Kind.VIDEO_SERIES, Resource.Kind.LECTURE_SERIES]),
    "books": ("Books", [Resource.Kind.BOOK]),
    "courses": ("Courses", [Resource.Kind.COURSE, Resource.Kind.INTERACTIVE, Resource.Kind.ARTICLE]),
}
GOAL_LABELS = {
    GoalKind.PATH: "The whole path (programming, a first project, then the four pillars)",
    GoalKind.PROJECT: "A project",
    GoalKind.TOPIC: "A topic",
    GoalKind.RESOURCE: "A book or course",
}
GOAL_NOUNS = {GoalKind.PROJECT: "project", GoalKind.TOPIC: "topic", GoalKind.RESOURCE: "book or course"}


class GoalChoiceForm(forms.Form):
    """A goal as a learner chooses one: the whole path, a project, a topic or a book or
    course, each target under its own radio button. A study group's goal is chosen the same
    way (groups.forms), so the two can never offer different goals."""

    goal_kind = forms.ChoiceField(
        label="Your goal",
        choices=list(GOAL_LABELS.items()),
        widget=forms.RadioSelect,
        required=False,  # left out by a client that does not ask to change it: kept as it is
    )
    goal_project = forms.CharField(label="Which project", required=False, widget=forms.Select)
    goal_topic = forms.CharField(label="Which topic", required=False, widget=forms.Select)
    goal_resource = forms.CharField(label="Which book or course", required=False, widget=forms.Select)

    def __init__(self, data=None, *, choices: CatalogChoices, initial: dict):
        super().__init__(data, initial=initial)
        self.choices = choices
        targets = {
            "goal_project": ("Choose a project", [(None, choices.projects)]),
            "goal_topic": ("Choose a topic", choices.topic_groups),
            "goal_resource": ("Choose a book or course", choices.resource_groups),
        }
        for name, (prompt, groups) in targets.items():
            options: list = [("", prompt)]
            for group, rows in groups:
                options += list(rows) if group is None else [(group, list(rows))]
            self.fields[name].widget.choices = options

    @staticmethod
    def goal_initial(kind: str, slug: str) -> dict:
        initial = {"goal_kind": kind}
        if kind != GoalKind.PATH:
            initial[f"goal_{kind}"] = slug
        return initial

    def clean(self):
        data = super().clean()
        if data.get("goal_kind"):
            data["goal_slug"] = self._goal_slug(data["goal_kind"], data)
        elif "goal_kind" not in self.errors:
            kind = self.initial.get("goal_kind", GoalKind.PATH)
            data["goal_kind"], data["goal_slug"] = kind, self.initial.get(f"goal_{kind}", "")
        return data

    def _goal_slug(self, kind: str, data: dict) -> str:
        if kind == GoalKind.PATH:
            return ""
        field = f"goal_{kind}"
        slug = data.get(field, "")
        if not slug:
            self.add_error(
                field, f"Choose a {GOAL_NOUNS[kind]} for your goal, or make the whole path your goal."
            )
        elif slug not in self.choices.goal_slugs(kind):
            self.add_error(field, goal_refusal(kind, slug))
        return slug

    def full_clean(self):
        super().full_clean()
        # The first field with an error takes the focus, on a full page and after an htmx swap.
        first = next((name for name in self.fields if name in self.errors), None)
        if first:
            self.fields[first].widget.attrs["autofocus"] = True

    def goal_rows(self):
        """[(radio, its select or None)]: each target sits under its own radio button."""
        selects = {kind: self[f"goal_{kind}"] for kind in GOAL_NOUNS}
        return [(radio, selects.get(radio.data["value"])) for radio in self["goal_kind"]]


class LearnerProfileForm(GoalChoiceForm):
    """What the welcome page asks and the settings page changes: the goal, what the learner
    knows, their pace and what they like to learn from. The learner is never a field: the
    view saves for request.user."""

    known = forms.MultipleChoiceField(
        label="Whole stages", required=False, widget=forms.CheckboxSelectMultiple
    )
    known_topics = forms.MultipleChoiceField(
        label="Topics you already know", required=False, widget=forms.CheckboxSelectMultiple
    )
    hours_per_week = hours_per_week_field(
        label="Hours you can study per week",
        help_text="From 0.5 to 100, such as 6 or 7.5. Used for your projected finishing date.",
        required="Enter the hours per week you can study, such as 6.",
        what="Hours per week",
        example="6",
    )
    kinds = forms.MultipleChoiceField(
        label="What you like to learn from",
        choices=[(key, label) for key, (label, _) in KIND_PREFERENCES.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked to be offered any kind.",
    )
    free_only = forms.BooleanField(label="Free resources only", required=False)
    level = forms.TypedChoiceField(
        label="Your level",
        choices=Resource.Level.choices,
        coerce=int,
        empty_value=None,
        required=False,  # like the goal: left out, kept as it is
        widget=forms.RadioSelect,
    )

    def __init__(self, data=None, *, choices: CatalogChoices, initial: dict):
        super().__init__(data, choices=choices, initial=initial)
        self.fields["known"].choices = [(slug, f"I know all of {name}") for slug, name in choices.stages]
        self.fields["known_topics"].choices = [(pillar, list(rows)) for pillar, rows in choices.topic_groups]

    @classmethod
    def initial_for(cls, path_settings: PathSettings, choices: CatalogChoices) -> dict:
        kind = path_settings.goal_kind
        preferred = set(path_settings.preferred_kinds or [])
        initial = {
            "goal_kind": kind,
            "known": list(path_settings.known_stages or []),
            "known_topics": list(path_settings.known_topics or []),
            "hours_per_week": path_settings.hours_per_week,
            "kinds": [key for key, (_, kinds) in KIND_PREFERENCES.items() if preferred & set(kinds)],
            "free_only": path_settings.free_only,
            "level": path_settings.level,
        }
        if kind != GoalKind.PATH:
            initial[f"goal_{kind}"] = path_settings.goal_slug
        return initial

    def clean(self):
        data = super().clean()
        if data.get("level") is None and "level" not in self.errors:
            data["level"] = self.initial.get("level", Resource.Level.BEGINNER)
        return data

    def topic_groups(self) -> list[tuple[str, list[TopicBox]]]:
        """[(legend, [checkbox])]: the known topics, one fieldset per pillar. Written by the
        template itself, as a widget per checkbox is slow with hundreds of topics."""
        checked = set(self["known_topics"].value() or [])
        return [
            (
                legend,
                [TopicBox(slug, name, f"id_known_topics_{slug}", slug in checked) for slug, name in rows],
            )
            for legend, rows in self.choices.topic_groups
        ]

    def settings_values(self) -> dict:
        data = self.cleaned_data
        return {
            "goal_kind": data["goal_kind"],
            "goal_slug": data["goal_slug"],
            "known_stages": data["known"],
            "known_topics": data["known_topics"],
            "hours_per_week": data["hours_per_week"],
            "preferred_kinds": [kind for key in data["kinds"] for kind in KIND_PREFERENCES[key][1]],
            "free_only": data["free_only"],
            "level": data["level"],
        }

    def save(self, user) -> PathSettings:
        # update_or_create: two first saves at once meet the one-to-one constraint, not a 500.
        with transaction.atomic():
            values = self.settings_values()
            path_settings = PathSettings.objects.update_or_create(user=user, defaults=values)[0]
            learner_changed.send(PathSettings, user=user)
            return path_settings


def goal_refusal(kind: str, slug: str) -> str:
    """Why a goal cannot be `slug`, in words: unknown, retired, or of another kind."""
    shown = slug[:80]
    noun = GOAL_NOUNS[kind]
    if kind == GoalKind.TOPIC:
        row = Topic.objects.filter(slug=slug).values_list("name", flat=True).first()
        if row is None:
            return f"There is no topic “{shown}” in the catalog; choose one from the list."
        return f"“{row}” is no longer in the catalog; choose another topic."
    row = Resource.objects.filter(slug=slug).values_list("title", "retired").first()
    if row is None:
        return f"There is no {noun} “{shown}” in the catalog; choose one from the list."
    title, retired = row
    if retired:
        return f"“{title}” is no longer in the catalog; choose another {noun}."
    if kind == GoalKind.PROJECT:
        return f"“{title}” is not a project; choose a project, or make it your goal as a book or course."
    return f"“{title}” is a project; choose it as a project instead."


class PathSettingsForm(LearnerProfileForm):
    """The settings page: everything the welcome page asks, and the order of the stages.

    The order is a list with Move up and Move down buttons. The order travels in hidden
    inputs, one per stage in their order, so no input can name a stage twice; a move only
    re-renders the form (`moved`), and Save settings saves it with the rest.
    """

    order = forms.MultipleChoiceField(
        label="Your order of stages",
        widget=forms.MultipleHiddenInput,
        error_messages={"required": "Choose an order."},
    )

    def __init__(self, data=None, *, choices: CatalogChoices, initial: dict):
        super().__init__(data, choices=choices, initial=initial)
        self.fields["order"].choices = list(choices.stages)
        self.focus: tuple[str, str] | None = None

    @classmethod
    def initial_for(cls, path_settings: PathSettings, choices: CatalogChoices) -> dict:
        stages = [slug for slug, _ in choices.stages]
        order = list(effective_order(path_settings.stage_order, stages))
        return {**super().initial_for(path_settings, choices), "order": order}

    def clean_order(self):
        # Only a hand-made request can get these wrong: the page cannot send a stage twice.
        order = self.cleaned_data["order"]
        names = dict(self.choices.stages)
        repeated = sorted({slug for slug in order if order.count(slug) > 1})
        if repeated:
            raise forms.ValidationError(
                "Each stage can appear only once; repeated: %(names)s.",
                params={"names": ", ".join(names[slug] for slug in repeated)},
            )
        missing = [name for slug, name in self.choices.stages if slug not in order]
        if missing:
            raise forms.ValidationError(
                "Put every stage in the order; missing: %(names)s.", params={"names": ", ".join(missing)}
            )
        return order

    def current_order(self) -> list[str]:
        """The order on screen: as posted (cleaned up) on a bound form, else the initial one."""
        stages = [slug for slug, _ in self.choices.stages]
        if self.is_bound:
            return list(effective_order(self["order"].data or [], stages))
        return list(self.initial["order"])

    def moved(self, move: str) -> "PathSettingsForm":
        """The same form, unbound so that it shows no errors, with what was posted and one
        stage moved: `move` is "<slug>:up" or "<slug>:down". Nothing is saved."""
        order = self.current_order()
        slug, _, direction = move.partition(":")
        if slug in order and direction in ("up", "down"):
            at = order.index(slug)
            to = at - 1 if direction == "up" else at + 1
            if 0 <= to < len(order):
                order[at], order[to] = order[to], order[at]
            # The button that was pressed, or the other one when the stage reached an end.
            if (direction == "up" and to <= 0) or (direction == "down" and to >= len(order) - 1):
                direction = "down" if direction == "up" else "up"
        # What was posted, and what was left out (a radio nobody sent) as it was.
        initial = {name: self[name].data for name in self.fields}
        initial = {name: self.initial.get(name) if data is None else data for name, data in initial.items()}
        form = type(self)(choices=self.choices, initial=initial | {"order": order})
        form.focus = (slug, direction) if slug in order else None
        return form

    def order_rows(self) -> list[OrderRow]:
        names = dict(self.choices.stages)
        order = self.current_order()
        last = len(order) - 1
        focus_slug, focus = self.focus or ("", "")
        return [
            OrderRow(slug, names[slug], at > 0, at < last, focus if slug == focus_slug else "")
            for at, slug in enumerate(order)
        ]

    def settings_values(self) -> dict:
        return {**super().settings_values(), "stage_order": self.cleaned_data["order"]}
