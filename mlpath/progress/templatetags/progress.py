"""Status controls for pages outside this app (the catalog), without the catalog importing us.

`{% learner_progress as book %}` reads the signed-in learner's statuses once per page;
`{% status_control resource book %}`, `{% section_control section book %}` and
`{% status_badge book resource %}` then render from memory, so a list of any length costs
the same few queries, not one per card.
"""

from dataclasses import dataclass, field

from django import template
from django.db.models import Count, OuterRef, Subquery
from django.utils.html import format_html

from catalog.models import Section

from ..coverage import DONE, IN_PROGRESS, NOT_STARTED, SKIPPED, effective_status
from ..forms import NoteForm
from ..models import Progress, SectionProgress, Status, StatusChange

register = template.Library()


@dataclass
class ProgressBook:
    """One learner's statuses, read once for a page.

    `statuses` are effective ({resource id: status}, see coverage.effective_status): what the
    learner sees. `own` are the resources' own rows, `sections` the active sections' rows.
    """

    statuses: dict[int, str] = field(default_factory=dict)
    last_change: StatusChange | None = None
    here: str = ""  # the page's own address, for the controls' way back without JavaScript
    own: dict[int, str] = field(default_factory=dict)
    sections: dict[int, str] = field(default_factory=dict)

    def status_of(self, resource_id: int) -> str:
        return self.statuses.get(resource_id, NOT_STARTED)

    def section_status(self, section) -> str:
        """A section's own status; without one, a resource marked done or skipped covers it."""
        own = self.own.get(section.resource_id)
        return self.sections.get(section.id) or (own if own in (DONE, SKIPPED) else NOT_STARTED)

    @property
    def done(self) -> set[int]:
        return {pk for pk, status in self.statuses.items() if status == DONE}


def _effective(own: dict[int, str], rows) -> dict[int, str]:
    """`rows`: (resource id, status, active sections of that resource) per started section."""
    started: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    for resource_id, status, siblings in rows:
        started.setdefault(resource_id, []).append(status)
        counts[resource_id] = siblings or 0
    statuses = {}
    for resource_id in own.keys() | started.keys():
        status = effective_status(
            own.get(resource_id, NOT_STARTED), started.get(resource_id, []), counts.get(resource_id, 0)
        )
        if status != NOT_STARTED:
            statuses[resource_id] = status
    return statuses


def read_book(user, here: str = "") -> ProgressBook:
    """Three queries: resource rows, section rows (with each resource's active section count)
    and the latest change."""
    own = Progress.objects.statuses(user)
    siblings = (
        Section.objects.active()
        .filter(resource_id=OuterRef("section__resource_id"))
        .order_by()
        .values("resource_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    rows = list(
        SectionProgress.objects.filter(user=user, section__retired=False)
        .exclude(status=NOT_STARTED)
        .annotate(siblings=Subquery(siblings))
        .values_list("section_id", "section__resource_id", "status", "siblings")
    )
    return ProgressBook(
        statuses=_effective(own, [(resource_id, status, n) for _, resource_id, status, n in rows]),
        last_change=StatusChange.objects.filter(user=user).order_by("-changed_at", "-id").first(),
        here=here,
        own=own,
        sections={section_id: status for section_id, _, status, _ in rows},
    )


@register.simple_tag(takes_context=True)
def learner_progress(context):
    user = context["request"].user
    if not user.is_authenticated:
        return None
    return read_book(user, context["request"].get_full_path())


@register.inclusion_tag("progress/_status_control.html", takes_context=True)
def status_control(context, resource, book, oob=False):
    request = context["request"]
    last = book.last_change if book else None
    # A chapter's change is undone on the path, not by a button that names the whole book.
    mine = last and last.resource_id == resource.id and last.section_id is None
    undo = last if mine and last.undoable() else None
    return {
        "request": request,
        "resource": resource,
        "status": book.status_of(resource.id) if book else None,
        "undo": undo,
        "oob": oob,
        # Without JavaScript the learner comes back to this card, not the top of the list.
        "next": f"{book.here if book else request.get_full_path()}#status-{resource.slug}",
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("progress/_section_control.html", takes_context=True)
def section_control(context, section, book, oob=False):
    request = context["request"]
    return {
        "request": request,
        "section": section,
        "oob": oob,
        "status": book.section_status(section),
        "next": f"{book.here or request.get_full_path()}#section-{section.slug}",
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def status_badge(book, resource=None, section=None):
    """The learner's status as a quiet label ("Done", "In progress", "Skipped"), or nothing.

    Give a resource (its effective status) or a section (`section=`)."""
    if not book:
        return ""
    status = book.section_status(section) if section is not None else book.status_of(resource.id)
    if status == NOT_STARTED:
        return ""
    return format_html('<span class="status-badge status-{}">{}</span>', status, _LABELS[status])


@register.simple_tag
def done_by_stage(book, groups, matching) -> list:
    """Each stage group of the catalog with how many of its matching resources the learner
    has done (effective status), as (group, done) pairs; done is None when signed out.

    One query, over the whole result (not just the page), and none when nothing is done."""
    if not book:
        return [(group, None) for group in groups]
    done_ids = book.done
    counts = {}
    if done_ids:
        rows = matching.filter(pk__in=done_ids).order_by().values("stage_id").annotate(count=Count("id"))
        counts = {row["stage_id"]: row["count"] for row in rows}
    return [(group, counts.get(group.stage.pk, 0)) for group in groups]


@register.inclusion_tag("progress/_note_form.html", takes_context=True)
def note_form(context, resource):
    user = context["request"].user
    progress = (
        Progress.objects.filter(user=user, resource=resource).first() if user.is_authenticated else None
    )
    return {
        "request": context["request"],
        "resource": resource,
        "form": NoteForm(instance=progress) if user.is_authenticated else None,
        "csrf_token": context.get("csrf_token"),
    }


_ACTIONS = {
    IN_PROGRESS: "Start",
    DONE: "Mark done",
    SKIPPED: "Skip",
    NOT_STARTED: "Mark not started",
}
# For each status, the others in the order a learner most likely wants them: the first is
# the control's main button. A done resource is more often a click to take back than one to
# study again.
_NEXT = {
    NOT_STARTED: (IN_PROGRESS, DONE, SKIPPED),
    IN_PROGRESS: (DONE, SKIPPED, NOT_STARTED),
    DONE: (NOT_STARTED, IN_PROGRESS, SKIPPED),
    SKIPPED: (IN_PROGRESS, DONE, NOT_STARTED),
}


_LABELS = dict(Status.choices)


@register.filter
def status_label(status: str) -> str:
    return _LABELS.get(status, "")


@register.filter
def status_actions(status: str) -> list[tuple[str, str]]:
    """Buttons for every status but the current one, the likely next one first."""
    order = _NEXT.get(status, _NEXT[NOT_STARTED])
    return [
        (value, "Start again" if value == IN_PROGRESS and status == DONE else _ACTIONS[value])
        for value in order
        if value != status
    ]


@register.simple_tag
def learner_status(book, resource) -> str:
    """The learner's effective status of a resource, or "" when signed out."""
    return book.status_of(resource.id) if book else ""
