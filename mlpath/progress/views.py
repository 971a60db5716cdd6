import json
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from catalog.models import Resource, Section
from mlpath.decorators import login_required
from mlpath.redirects import next_url

from . import activity, review
from . import feed as feed_module
from . import path as learner_path
from .export import export_data
from .forms import LearnerProfileForm, NoteForm, PathSettingsForm, RatingForm, StatusForm, catalog_choices
from .models import (
    CalendarFeed,
    Milestone,
    PathSettings,
    Progress,
    ReviewRating,
    SectionProgress,
    StatusChange,
    TopicReview,
)
from .signals import feed_events, path_panels
from .templatetags.progress import read_book
from .topicmap import STATE_LABELS


def _plan_context(request, last_change=None, notice: str = "", planned=None) -> dict:
    """`last_change`: the change this request just made, when it made one (saves a query);
    `planned`: the (index, learner plan) this request already read, if it did."""
    index, learner_plan = planned or learner_path.plan_for_user(request.user)
    if last_change is None and not notice:
        last_change = StatusChange.objects.latest_for(request.user)
    today = timezone.localdate()
    context = learner_path.plan_context(index, learner_plan, today=today, last_change=last_change)
    context["notice"] = notice
    # One indexed query: what this week's clicks finished, against the weekly hours.
    week = StatusChange.objects.finished_by_day(request.user, _start_of(activity.week_of(today)))
    context["week"] = activity.WeekGoal(
        sum(hours for _done, hours in week.values()), learner_plan.hours_per_week
    )
    # What the next step rests on and is due for review (one query, for those topics only).
    step = learner_plan.plan.next
    below = learner_path.rests_on(index, step.unit) if step else set()
    cards = TopicReview.objects.filter(user=request.user, topic__slug__in=below)
    context["refresh"] = learner_path.refreshers_before(
        index,
        learner_plan,
        dict(cards.values_list("topic__slug", "card")) if below else {},
        now=timezone.now(),
        day_end=review.end_of_day(today, timezone.get_current_timezone()),
    )
    return context


def _start_of(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _describe_history(change) -> str:
    title = (
        f"{change.section.title} ({change.resource.title})" if change.section_id else change.resource.title
    )
    if change.via_reset:
        return f"Reset: “{title}” went back to not started"
    if change.via_undo:
        return f"Undo: “{title}” went back to {change.get_to_status_display().lower()}"
    return learner_path.describe_change(change, title)


HISTORY_PER_PAGE = 50


@login_required
@require_safe
@vary_on_headers("HX-Request")
def activity_page(request):
    """The learner's own history, newest first, with a year's heatmap and week streaks."""
    today = timezone.localdate()
    first_week = activity.week_of(today) - timedelta(weeks=activity.WEEKS_SHOWN - 1)
    changes = (
        StatusChange.objects.filter(user=request.user)
        .select_related("resource", "section")
        .only(
            *("changed_at", "from_status", "to_status", "via_undo", "via_reset", "section_id"),
            *("resource__slug", "resource__title", "section__title"),
        )
        .order_by("-changed_at", "-id")
    )
    page = Paginator(changes, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    history = [{"change": change, "text": _describe_history(change)} for change in page]
    context = {"page": page, "history": history}
    if request.htmx and request.htmx.target == "history":
        return render(request, "progress/activity.html#history", context)
    calendar = activity.heatmap(
        StatusChange.objects.finished_by_day(request.user, _start_of(first_week)), today
    )
    hours_per_week = (
        PathSettings.objects.filter(user=request.user).values_list("hours_per_week", flat=True).first()
    )
    this_week = sum(
        day.hours for week in calendar.weeks for day in week if day.day >= activity.week_of(today)
    )
    # A review keeps a week's streak as a click does.
    review_days = list(
        ReviewRating.objects.filter(user=request.user)
        .annotate(day=TruncDate("reviewed_at"))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    context |= {
        "milestones": list(Milestone.objects.filter(user=request.user).order_by("-reached_at", "-id")),
        "calendar": calendar,
        "months": activity.by_month(calendar),
        "streaks": activity.week_streaks(
            [*StatusChange.objects.active_days(request.user), *review_days], today
        ),
        "review_days": sum(1 for day in review_days if day >= first_week),
        "week": activity.WeekGoal(this_week, float(hours_per_week or PathSettings.DEFAULT_HOURS_PER_WEEK)),
    }
    return render(request, "progress/activity.html", context)


# The answer to a button on the path page: the new next step, then out of band (hx-swap-oob)
# everything else a change can move. A plan is recomputed as a whole, so any of it can.
_ANSWER_PARTS = ["announce", "in-progress", "next-map", "plan", "eta", "stage-bars", "pillar-bars"]


def _path_answer(request, change, notice: str = "", planned=None, extra: str = "") -> HttpResponse:
    context = _plan_context(request, change, notice, planned)
    context["oob"] = True
    html = [render_to_string(f"progress/path.html#{part}", context, request) for part in _ANSWER_PARTS]
    # The next step goes first and is not out of band: it is the request's own target.
    context["oob"] = bool(change or notice)  # focus moves to the new next step after a change
    html.insert(0, render_to_string("progress/path.html#next-resource", context, request))
    return HttpResponse("".join(html) + extra)


@login_required
@require_safe
def path_page(request):
    planned = learner_path.plan_for_user(request.user)
    context = _plan_context(request, planned=planned)
    # What other apps add to the full page (a study group's next milestone); a click's
    # answer swaps only the parts a change can move, so it does not ask for these.
    index, learner_plan = planned
    context["panels"] = [
        panel
        for _receiver, panels in path_panels.send(
            sender=None, user=request.user, index=index, learner_plan=learner_plan, today=timezone.localdate()
        )
        for panel in panels or ()
    ]
    return render(request, "progress/path.html", context)


REVIEWS_SHOWN = 20


@login_required
@require_safe
def review_page(request):
    """What is due for review today, oldest first, each with a refresher; what comes next."""
    today = timezone.localdate()
    day_end = review.end_of_day(today, timezone.get_current_timezone())
    mine = TopicReview.objects.filter(user=request.user)
    counts = mine.aggregate(
        due_today=Count("id", filter=Q(due__lt=day_end)),
        coming_week=Count("id", filter=Q(due__gte=day_end, due__lt=day_end + timedelta(days=7))),
        scheduled=Count("id"),
        next_due=Min("due", filter=Q(due__gte=day_end)),
    )
    rows = (
        mine.filter(due__lt=day_end)
        .select_related("topic")
        .only("due", "learned_at", "reviews", "topic__slug", "topic__name")
        .order_by("due", "topic__name")[:REVIEWS_SHOWN]
    )
    _token, index = learner_path.current_plan_index()
    context = {
        "due": [
            {"row": row, "refresher": learner_path.refresher_entry(index, row.topic.slug)} for row in rows
        ],
        "counts": counts,
        "more_due": max(0, counts["due_today"] - REVIEWS_SHOWN),
        "ratings": list(review.RATING_LABELS.items()),
    }
    return render(request, "progress/review.html", context)


@login_required
@require_POST
def rate_review(request, slug):
    row = get_object_or_404(TopicReview.objects.select_related("topic"), user=request.user, topic__slug=slug)
    form = RatingForm(request.POST)
    if not form.is_valid():
        message = f"Rate your recall: one of {', '.join(review.RATINGS)}. Nothing was changed."
        return HttpResponseBadRequest(render_to_string("400.html", {"message": message}, request))
    rating = form.cleaned_data["rating"]
    row.rate(rating, timezone.now())
    refresher = None
    if rating == "again":
        _token, index = learner_path.current_plan_index()
        refresher = learner_path.refresher_entry(index, slug)
    if request.htmx:
        context = {"row": row, "rated": rating, "refresher": refresher, "pressed": True}
        return render(request, "progress/_review_row.html", context)
    when = date_format(timezone.localtime(row.due), "l j F")
    text = f"“{row.topic.name}”: next review on {when}."
    if refresher:
        text += f" To refresh it: {refresher['title']} ({refresher['resource_title']})."
    messages.success(request, text)
    return redirect(next_url(request, reverse("progress:review")))


@login_required
@require_safe
def calendar_page(request):
    feed = CalendarFeed.objects.filter(user=request.user).first()
    address = request.build_absolute_uri(reverse("progress:calendar_feed", args=[feed.token])) if feed else ""
    return render(request, "progress/calendar.html", {"address": address})


@login_required
@require_POST
def rotate_calendar(request):
    replaced = CalendarFeed.objects.filter(user=request.user).exists()
    CalendarFeed.rotate(request.user)
    messages.success(
        request,
        "Here is your new calendar address: the old one no longer works."
        if replaced
        else "Here is your calendar address.",
    )
    return redirect(reverse("progress:calendar"))


@never_cache
@require_safe
def calendar_feed(request, feed_token):
    """The learner's plan and reviews as iCalendar, for calendar apps to subscribe to: the
    secret in the address stands in for signing in (a wrong or replaced one is a 404)."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=feed_token)
    user = feed.user
    index, learner_plan = learner_path.plan_for_user(user)
    today = timezone.localdate()
    horizon = review.end_of_day(today + timedelta(days=365), timezone.get_current_timezone())
    reviews = TopicReview.objects.filter(user=user, due__lt=horizon)
    due = [(timezone.localdate(when), name) for when, name in reviews.values_list("due", "topic__name")]
    steps = [
        (key, title, hours, request.build_absolute_uri(path))
        for key, title, hours, path in learner_path.feed_steps(
            index, learner_plan, feed_module.horizon_hours(learner_plan.hours_per_week)
        )
    ]
    events = [
        *feed_module.plan_events(steps, learner_plan.hours_per_week, today),
        *feed_module.review_events(due, today),
    ]
    for _receiver, extra in feed_events.send(
        sender=None, user=user, index=index, today=today, request=request
    ):
        events += extra or ()
    body = feed_module.ical(
        events,
        user_key=str(user.pk),
        name="mlpath: your learning path",
        now=timezone.now(),
        links={"review": request.build_absolute_uri(reverse("progress:review"))},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, "mlpath.ics")
    return response


@login_required
@require_safe
def map_page(request):
    index, learner_plan = learner_path.plan_for_user(request.user)
    topic_map = learner_path.goal_map(index, learner_plan)
    context = {
        "goal_label": learner_path.goal_label(index, learner_plan.goal),
        "topic_map": topic_map,
        "folded": any(layer.folded for layer in topic_map.layers),
        "map_states": list(STATE_LABELS.items()),
    }
    return render(request, "progress/map.html", context)


@login_required
@require_POST
def set_status(request, slug):
    resource = get_object_or_404(Resource.objects.only("id", "slug", "title"), slug=slug)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            render_to_string("400.html", {"message": _status_error(request.POST.get("status"))}, request)
        )
    if form.cleaned_data["undo"] is not None:
        change, refusal = Progress.undo(request.user, resource, form.cleaned_data["undo"])
        if change is None:
            return _refused(request, f"That change cannot be undone: {refusal}. Nothing was changed.")
    else:
        change = Progress.change(request.user, resource, form.cleaned_data["status"])
    undo = change if change and not change.via_undo else None
    return _answer(
        request,
        change,
        form.cleaned_data["status"],
        resource.title,
        "progress/_status_control.html",
        {"resource": resource, "undo": undo, "clear_other_undo": True},
        resource=resource,
    )


@login_required
@require_POST
def set_section_status(request, slug):
    """One section's status: the path's next step when it is a chapter, or a resource page."""
    section = get_object_or_404(
        Section.objects.select_related("resource").only(
            "id", "slug", "position", "title", "resource__id", "resource__slug", "resource__title"
        ),
        slug=slug,
    )
    form = StatusForm(request.POST)
    if not form.is_valid() or form.cleaned_data["undo"] is not None:
        message = _status_error(request.POST.get("status"))
        return HttpResponseBadRequest(render_to_string("400.html", {"message": message}, request))
    change = SectionProgress.change(request.user, section, form.cleaned_data["status"])
    return _answer(
        request,
        change,
        form.cleaned_data["status"],
        f"{section.title} ({section.resource.title})",
        "progress/_section_control.html",
        {"section": section},
        resource=section.resource,
    )


def _answer(request, change, status: str, title: str, control: str, context: dict, resource=None):
    """After a status button: the path's next step and all it moves; on a catalog page (htmx)
    the control that was pressed, and on `resource`'s own page whatever else the change moved
    (see `_resource_page_moves`); or a redirect with a message (no JavaScript)."""
    reached, planned = _milestones_reached(request, change)
    celebrate = (
        render_to_string("progress/_milestones.html", {"milestones": reached, "oob": True}, request)
        if reached
        else ""
    )
    if request.htmx and request.htmx.target == "next-resource":
        return _path_answer(request, change, planned=planned, extra=celebrate)
    if request.htmx:
        context = {"status": change.to_status if change else status, **context}
        moved = _resource_page_moves(request, resource, context) if resource else ""
        # The pressed control is swapped out from under the keyboard: its first button (the
        # likely next action) takes the focus, so Tab goes on through the same card.
        answer = {**context, "next": next_url(request, ""), "pressed": True}
        html = render_to_string(control, answer, request)
        return HttpResponse(html + moved + celebrate)
    if change is not None:
        messages.success(request, f"{learner_path.describe_change(change, title)}.")
    for milestone in reached:
        messages.success(request, milestone.headline)
    return redirect(next_url(request, reverse("progress:path")))


def _milestones_reached(request, change) -> tuple[list, tuple | None]:
    """The stages, pillars and goal this change finished for the first time, now recorded,
    and the plan read to see it (the path's answer shows the same plan). Only finishing can
    finish anything."""
    if change is None or change.to_status != "done":
        return [], None
    planned = learner_path.plan_for_user(request.user)
    reached = learner_path.milestones_of(planned[1])
    return Milestone.record(request.user, reached, timezone.now()), planned


def _resource_page_moves(request, resource, context: dict) -> str:
    """On a resource's own page one button moves more than itself: the resource's status
    follows its sections, and a resource marked done or skipped covers the sections it has
    not been told about. Those other controls as they now are, out of band (hx-swap-oob);
    the pressed one's status in `context` becomes the effective one. Elsewhere: nothing."""
    page = urlsplit(request.htmx.current_url_abs_path or "").path
    if page != resource.get_absolute_url():
        return ""
    book = read_book(request.user, page)
    section = context.get("section")
    if section is not None:
        context["status"] = book.section_status(section)
        sections = []
    else:
        context["status"] = book.status_of(resource.id)
        sections = (
            resource.sections.active()
            .order_by("position")
            .only("id", "slug", "position", "title", "resource_id")
        )
    moved = {"resource": resource, "book": book, "sections": sections, "resource_too": section is not None}
    return render_to_string("progress/_resource_page_oob.html", moved, request)


def _refused(request, message: str):
    """A well-formed request we will not carry out: the reason in place, and no change."""
    if request.htmx and request.htmx.target == "next-resource":
        return _path_answer(request, None, notice=message)
    if request.htmx:
        context = {"heading": "Nothing to undo", "message": message}
        return HttpResponse(render_to_string("400.html", context, request), status=409)
    messages.error(request, message)
    return redirect(next_url(request, reverse("progress:path")))


def _status_error(value) -> str:
    choices = ", ".join(choice for choice, _ in StatusForm.base_fields["status"].choices)
    if not value:
        return f"Choose a status: one of {choices}. Nothing was changed."
    return f"“{value[:40]}” is not a status; use one of {choices}. Nothing was changed."


@login_required
@require_POST
def save_note(request, slug):
    resource = get_object_or_404(Resource.objects.only("id", "slug", "title"), slug=slug)
    progress = Progress.objects.filter(user=request.user, resource=resource).first()
    form = NoteForm(request.POST, instance=progress or Progress(user=request.user, resource=resource))
    saved = form.is_valid()
    if saved:
        Progress.save_note(request.user, resource, form.cleaned_data["note"])
    if request.htmx:
        # Invalid input re-renders with its errors and status 200, so htmx swaps it in.
        return render(
            request, "progress/_note_form.html", {"resource": resource, "form": form, "saved": saved}
        )
    if saved:
        messages.success(request, "Your note is saved.")
        return redirect(resource.get_absolute_url())
    return render(request, "progress/note.html", {"resource": resource, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request):
    choices = catalog_choices()
    initial = PathSettingsForm.initial_for(PathSettings.for_user(request.user), choices)
    data = request.POST if request.method == "POST" else None
    form = PathSettingsForm(data, choices=choices, initial=initial)
    if request.method == "POST" and "move" in request.POST:
        # Move up / Move down: show the new order and keep the rest as typed; save nothing.
        form = form.moved(request.POST["move"])
        if request.htmx:
            return render(request, "progress/settings.html#stage-order", {"form": form})
        return render(request, "progress/settings.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, "Your path settings are saved.")
        return redirect("progress:path")
    return render(request, "progress/settings.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def welcome(request):
    """The questions a new learner answers once (or skips); the settings page changes them later."""
    choices = catalog_choices()
    initial = LearnerProfileForm.initial_for(PathSettings.for_user(request.user), choices)
    data = request.POST if request.method == "POST" else None
    form = LearnerProfileForm(data, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, "Your path is set. Change any of it in your path settings.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("progress:path"))
        return redirect("progress:path")
    if request.htmx and request.method == "POST":
        # Invalid input: the form again with its errors, status 200 so that htmx swaps it in.
        return render(request, "progress/welcome.html#welcome-form", {"form": form})
    return render(request, "progress/welcome.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reset_progress(request):
    if request.method == "POST":
        changed = Progress.reset(request.user)
        messages.success(
            request,
            f"Your progress is reset: {changed} resource{'s' if changed != 1 else ''} back to not started.",
        )
        return redirect("progress:path")
    touched = Progress.objects.filter(user=request.user).exclude(status="not_started").count()
    return render(request, "progress/reset.html", {"touched": touched})


@never_cache
@login_required
@require_safe
def export(request):
    data = export_data(request.user, now=timezone.now())
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    # Usernames may be non-ASCII; this header encodes them the way browsers expect (RFC 6266).
    response["Content-Disposition"] = content_disposition_header(True, f"mlpath-{request.user.username}.json")
    return response
