"""Status controls for pages outside this app (the catalog), without the catalog importing us.

`{% learner_progress as book %}` reads the signed-in learner's statuses once per page;
`{% status_control resource book %}` then renders each control from memory, so a list of
any length costs two queries, not one per card.
"""

from dataclasses import dataclass, field

from django import template

from ..forms import NoteForm
from ..models import Progress, Status, StatusChange

register = template.Library()


@dataclass
class ProgressBook:
    statuses: dict[int, str] = field(default_factory=dict)
    last_change: StatusChange | None = None
    here: str = ""  # the page's own address, for the controls' way back without JavaScript


@register.simple_tag(takes_context=True)
def learner_progress(context):
    user = context["request"].user
    if not user.is_authenticated:
        return None
    return ProgressBook(
        Progress.objects.statuses(user),
        StatusChange.objects.filter(user=user).order_by("-changed_at", "-id").first(),
        context["request"].get_full_path(),
    )


@register.inclusion_tag("progress/_status_control.html", takes_context=True)
def status_control(context, resource, book):
    request = context["request"]
    last = book.last_change if book else None
    undo = last if last and last.resource_id == resource.id and last.undoable() else None
    return {
        "request": request,
        "resource": resource,
        "status": book.statuses.get(resource.id, "not_started") if book else None,
        "undo": undo,
        # Without JavaScript the learner comes back to this card, not the top of the list.
        "next": f"{book.here if book else request.get_full_path()}#status-{resource.slug}",
        "csrf_token": context.get("csrf_token"),
    }


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
    "in_progress": "Start",
    "done": "Mark done",
    "skipped": "Skip",
    "not_started": "Mark not started",
}


_LABELS = dict(Status.choices)


@register.filter
def status_label(status: str) -> str:
    return _LABELS.get(status, "")


@register.filter
def status_actions(status: str) -> list[tuple[str, str]]:
    """Buttons for every status but the current one, in the order a learner meets them."""
    return [(value, label) for value, label in _ACTIONS.items() if value != status]
