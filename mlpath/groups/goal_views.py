"""Studying together: the group's goal and schedule, a member's page for the organizers,
adopting the group's goal, the weekly digest's opt-in and the group's calendar feed."""

import secrets
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from mlpath.decorators import login_required
from mlpath.progress import activity
from mlpath.progress import feed as feed_module
from mlpath.progress.coverage import statuses_of
from mlpath.progress.forms import catalog_choices
from mlpath.progress.models import PathSettings, Progress, SectionProgress, StatusChange
from mlpath.progress.path import current_plan_index, describe_change, learner_plan
from mlpath.progress.signals import learner_changed

from . import dashboard, plans, schedule
from .forms import GroupGoalForm, MilestoneForm
from .models import GroupMilestone, Membership, StudyGroup
from .summary import load_milestones
from .views import _get_group_for_organizer, _get_membership


def _milestone_entries(index, milestones, finished=frozenset(), statuses=None) -> list[dict]:
    """Milestones as the pages list them: each unit with its title and link, and, for one
    member, whether they finished it and their own status."""
    entries = []
    for milestone in milestones:
        units = [
            {
                "key": key,
                "title": dashboard.unit_title(index, key),
                "slug": index.units[key].resource,
                "finished": key in finished,
                "status": (statuses or {}).get(key, ""),
            }
            for key in milestone.units
        ]
        entries.append(
            {"milestone": milestone, "units": units, "done_count": sum(u["finished"] for u in units)}
        )
    return entries


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def group_goal(request, slug):
    """Choose the group's goal and pace, and lay out its weekly milestones from them."""
    group = _get_group_for_organizer(request, slug)
    choices = catalog_choices()
    today = timezone.localdate()
    initial = {
        **GroupGoalForm.goal_initial(group.goal_kind, group.goal_slug),
        "hours_per_week": group.hours_per_week,
        "start": activity.week_of(today) + timedelta(days=7),  # next Monday
    }
    form = GroupGoalForm(request.POST if request.method == "POST" else None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        group.goal_kind = form.cleaned_data["goal_kind"]
        group.goal_slug = form.cleaned_data["goal_slug"]
        group.hours_per_week = form.cleaned_data["hours_per_week"]
        _token, index = current_plan_index()
        laid = plans.lay_out(group, index, start=form.cleaned_data["start"])
        count = len(laid.milestones)
        text = f"The group's goal is set, with {count} weekly milestone{'s' if count != 1 else ''}."
        if laid.left_out:
            text += (
                f" {laid.left_out} unit{'s' if laid.left_out != 1 else ''} fall after two years at this pace"
                " and are left out: raise the hours a week to fit them in."
            )
        messages.success(request, text)
        return redirect("groups:schedule", group.slug)
    has_schedule = group.milestones.exists()
    return render(request, "groups/goal.html", {"group": group, "form": form, "has_schedule": has_schedule})


@login_required
@require_safe
def group_schedule(request, slug):
    """The milestones, for every member; the organizers also get the links to change them."""
    membership = _get_membership(request, slug)
    group = membership.group
    _token, index = current_plan_index()
    milestones = load_milestones(group, index)
    today = timezone.localdate()
    context = {
        "group": group,
        "membership": membership,
        "goal_name": plans.goal_name(index, group.goal_kind, group.goal_slug),
        "entries": _milestone_entries(index, milestones),
        "next": schedule.next_milestone(milestones, today),
        "today": today,
    }
    return render(request, "groups/schedule.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit(request, slug, milestone_id=None):
    """Change one milestone (or add one): its name, its date, and which units it holds."""
    group = _get_group_for_organizer(request, slug)
    if milestone_id is None:
        milestone = GroupMilestone(group=group)
        initial = {
            "title": f"Week {group.milestones.count() + 1}",
            "due": timezone.localdate() + timedelta(days=7),
        }
    else:
        milestone = get_object_or_404(GroupMilestone, group=group, pk=milestone_id)
        initial = {"title": milestone.title, "due": milestone.due, "units": list(milestone.units or ())}
    _token, index = current_plan_index()
    units = plans.unit_choices(index, group, extra=milestone.units or ())
    form = MilestoneForm(request.POST if request.method == "POST" else None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        plans.save_milestone(group, milestone, **form.cleaned_data)
        messages.success(request, f"“{milestone.title}” is saved.")
        return redirect("groups:schedule", group.slug)
    return render(request, "groups/milestone.html", {"group": group, "milestone": milestone, "form": form})


@login_required
@require_POST
def milestone_delete(request, slug, milestone_id):
    group = _get_group_for_organizer(request, slug)
    milestone = get_object_or_404(GroupMilestone, group=group, pk=milestone_id)
    with transaction.atomic():
        milestone.delete()
        StudyGroup.objects.filter(pk=group.pk).touch()
    messages.success(request, f"“{milestone.title}” is deleted; its units are no longer due.")
    return redirect("groups:schedule", group.slug)


@login_required
@require_safe
def member_detail(request, slug, user_id):
    """One member's progress against the group's goal and milestones: for the group's
    organizers only; anyone else, members included, gets a 404."""
    membership = _get_membership(request, slug)
    if not membership.is_organizer:
        raise Http404("No such page.")
    group = membership.group
    target = get_object_or_404(group.memberships.select_related("user"), user_id=user_id)
    _token, index = current_plan_index()
    own = PathSettings.for_user(target.user)
    # Their own statuses and preferences, aimed at the group's goal instead of their own.
    aimed = PathSettings(
        user_id=target.user_id,
        stage_order=own.stage_order,
        known_stages=own.known_stages,
        known_topics=own.known_topics,
        hours_per_week=own.hours_per_week,
        level=own.level,
        preferred_kinds=own.preferred_kinds,
        free_only=own.free_only,
        goal_kind=group.goal_kind,
        goal_slug=group.goal_slug,
    )
    statuses, section_statuses = Progress.objects.statuses(target.user), SectionProgress.statuses(target.user)
    towards = learner_plan(index, aimed, statuses, section_statuses)
    milestones = load_milestones(group, index)
    scheduled = dashboard.MilestoneUnits.of(index, (k for m in milestones for k in m.units))
    finished = scheduled.finished_by(towards)
    today = timezone.localdate()
    unit_statuses = statuses_of(index, statuses, section_statuses).units
    changes = list(
        StatusChange.objects.filter(user=target.user)
        .select_related("resource", "section")
        .order_by("-changed_at", "-id")[:10]
    )
    step = towards.plan.next
    context = {
        "group": group,
        "member": target,
        "goal_name": plans.goal_name(index, group.goal_kind, group.goal_slug),
        "own_goal": plans.goal_name(index, own.goal_kind, own.goal_slug),
        "same_goal": (own.goal_kind, own.goal_slug) == (group.goal_kind, group.goal_slug),
        "track": schedule.track(finished, [(m.due, m.units) for m in milestones], today),
        "entries": _milestone_entries(index, milestones, finished, unit_statuses),
        "bars": towards.bars,
        "hours_left": towards.plan.hours,
        "next_title": dashboard.unit_title(index, step.unit.key) if step else "",
        "next_slug": step.unit.resource if step else "",
        "changes": [(change.changed_at, _their_change(change, target.user.username)) for change in changes],
        "last_activity": changes[0].changed_at if changes else None,
        "last_seen": dashboard.relative_day(timezone.localtime(changes[0].changed_at).date(), today)
        if changes
        else "",
        "today": today,
    }
    return render(request, "groups/member.html", context)


def _their_change(change, name: str) -> str:
    """A change as the organizer reads it: "mia marked …", where the learner reads "You marked …"."""
    title = (
        f"{change.section.title} ({change.resource.title})" if change.section_id else change.resource.title
    )
    text = describe_change(change, title)
    return f"{name} {text[4:]}" if text.startswith("You ") else text


@login_required
@require_POST
def adopt_goal(request, slug):
    """Make the group's goal the member's own. Nothing else about their path changes, and
    nothing ever makes a member do this."""
    group = _get_membership(request, slug).group
    with transaction.atomic():
        PathSettings.objects.update_or_create(
            user=request.user, defaults={"goal_kind": group.goal_kind, "goal_slug": group.goal_slug}
        )
        learner_changed.send(PathSettings, user=request.user)
    messages.success(
        request, f"{group.name}'s goal is now your goal. Change it any time in your path settings."
    )
    return redirect("progress:path")


@login_required
@require_POST
def digest_toggle(request, slug):
    group = _get_group_for_organizer(request, slug)
    wanted = request.POST.get("digest") == "on"
    Membership.objects.filter(group=group, user=request.user).update(digest=wanted)
    if wanted and not request.user.email:
        messages.warning(
            request,
            "You will get the weekly digest once your account has an email address. "
            "Ask the site's administrator to add one.",
        )
    else:
        messages.success(
            request, "You will get the weekly digest by email." if wanted else "The weekly digest is off."
        )
    return redirect(group)


@login_required
@require_POST
def group_calendar_rotate(request, slug):
    """Make (or replace) this organizer's secret address of the group's calendar."""
    group = _get_group_for_organizer(request, slug)
    Membership.objects.filter(group=group, user=request.user).update(feed_token=secrets.token_urlsafe(32))
    messages.success(request, "The group's calendar has a new address. Any older one no longer works.")
    return redirect(group)


@never_cache
@require_safe
def group_calendar_feed(request, feed_token):
    """The group's milestones as iCalendar, for an organizer's calendar app: the secret in
    the address stands in for signing in, and stops working if they stop being organizer."""
    membership = get_object_or_404(
        Membership.objects.select_related("group"), feed_token=feed_token, role=Membership.Role.ORGANIZER
    )
    group = membership.group
    _token, index = current_plan_index()
    link = request.build_absolute_uri(reverse("groups:schedule", args=[group.slug]))
    events = milestone_events(index, group, load_milestones(group, index), link)
    body = feed_module.ical(
        events, user_key=f"group-{group.pk}", name=f"mlpath: {group.name}", now=timezone.now(), links={}
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, f"{group.slug}.ics")
    return response


def milestone_events(index, group, milestones, link: str) -> list[feed_module.FeedEvent]:
    """One all-day event per milestone, on its date, naming its units."""
    return [
        feed_module.FeedEvent(
            uid=f"group-{group.pk}-milestone-{milestone.id}",
            summary=f"{group.name}: {milestone.title} due",
            start=milestone.due,
            end=milestone.due + timedelta(days=1),
            description="Due by today:\n"
            + "\n".join(f"- {dashboard.unit_title(index, key)}" for key in milestone.units),
            url=link,
        )
        for milestone in milestones
    ]
