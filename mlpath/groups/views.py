import csv
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from mlpath.decorators import login_required
from mlpath.progress.models import GoalKind, PathSettings

from . import dashboard
from .forms import DashboardForm, GroupForm
from .models import LastOrganizer, Membership, StudyGroup, leave, remove, set_role
from .plans import goal_name
from .summary import group_summary

# Access helpers: the view decides, never the template.


def _get_membership(request, slug) -> Membership:
    """The signed-in user's membership of the group; 404 for outsiders, so a private
    group's existence is not revealed."""
    membership = (
        Membership.objects.select_related("group").filter(group__slug=slug, user=request.user).first()
    )
    if membership is None:
        raise Http404("No study group here, or you are not a member.")
    return membership


def _get_group_for_organizer(request, slug) -> StudyGroup:
    """404 for outsiders, 403 for members who are not organizers."""
    membership = _get_membership(request, slug)
    if not membership.is_organizer:
        raise PermissionDenied("Only the group's organizers can do this.")
    return membership.group


def _get_member(group, user_id) -> Membership:
    """Someone in this group, for an organizer's action on them; 404 for anyone else."""
    return get_object_or_404(group.memberships.select_related("user"), user_id=user_id)


NEEDS_AN_ORGANIZER = "A group needs an organizer: make someone else an organizer first."


def _group_by_invite(code) -> StudyGroup:
    group = StudyGroup.objects.filter(invite_code=code).first()
    if group is None:
        raise Http404("This invite link is not valid. It may have been replaced by a newer one.")
    return group


@login_required
@require_safe
def group_list(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("group")
        .annotate(member_count=Count("group__memberships"))
        .order_by("group__name")
    )
    return render(request, "groups/list.html", {"memberships": memberships, "form": GroupForm()})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def group_new(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = StudyGroup.create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            organizer=request.user,
        )
        messages.success(
            request, "Your group is ready. Share the invite link below with the people you study with."
        )
        return redirect(group)
    return render(request, "groups/new.html", {"form": form})


@login_required
@require_safe
def group_detail(request, slug):
    membership = _get_membership(request, slug)
    group = membership.group
    summary = group_summary(group)
    memberships = list(
        group.memberships.select_related("user")
        .only("id", "role", "user_id", "user__username", "group_id")
        .order_by("user__username")
    )
    context = {
        "group": group,
        "membership": membership,
        "memberships": memberships,
        "organizer_count": sum(m.is_organizer for m in memberships),
        "averages": _named(summary.averages, summary.names),
        "overall": summary.overall,
        "invite_url": request.build_absolute_uri(reverse("groups:join", args=[group.invite_code]))
        if membership.is_organizer
        else None,
        "goal_name": goal_name(summary.index, group.goal_kind, group.goal_slug),
        "next_milestone": summary.next_milestone,
        "has_milestones": bool(summary.milestones),
        "adopt": bool(summary.milestones) and _goal_differs(request.user, group),
        "calendar_url": request.build_absolute_uri(
            reverse("groups:calendar_feed", args=[membership.feed_token])
        )
        if membership.is_organizer and membership.feed_token
        else None,
    }
    return render(request, "groups/detail.html", context)


def _goal_differs(user, group) -> bool:
    own = PathSettings.objects.filter(user=user).values_list("goal_kind", "goal_slug").first()
    return (own or (GoalKind.PATH, "")) != (group.goal_kind, group.goal_slug)


@never_cache
@login_required
@require_safe
@vary_on_headers("HX-Request")
def group_dashboard(request, slug):
    group = _get_group_for_organizer(request, slug)
    form = DashboardForm(request.GET)
    sort, stuck_only = form.options()
    summary = group_summary(group)
    columns, names = summary.columns, summary.names
    shown = summary.sorted_rows(sort, stuck_only=stuck_only)
    requested = request.GET.get("page")
    paginator = Paginator(shown, MEMBERS_PER_PAGE)
    page = paginator.page(_page_number(requested, paginator.num_pages))
    base = reverse("groups:dashboard", args=[group.slug])
    context = {
        "group": group,
        "rows": [_member_entry(row, columns, names, summary.today) for row in page.object_list],
        "page": page,
        "page_links": _page_links(base, page, sort, stuck_only),
        "page_notice": _page_notice(requested, page),
        "shown_count": len(shown),
        "member_count": len(summary.rows),
        "stuck_count": summary.stuck_count,
        "sort": sort,
        "stuck_only": stuck_only,
        "sort_links": _sort_links(base, sort, stuck_only, page.number),
        "averages": _named(summary.averages, names),
        "goal_name": goal_name(summary.index, group.goal_kind, group.goal_slug),
        "next_milestone": summary.next_milestone,
        "has_milestones": bool(summary.milestones),
        "track_counts": summary.track_counts,
        "overall": summary.overall,
        "counts": summary.counts,
        "touched_count": summary.touched_count,
        "stuck_days": settings.STUCK_AFTER_DAYS,
        "invalid_options": form.is_bound and not form.is_valid(),
        # Fragments computed from the summary alone are kept under its key; without one
        # (the catalog mid-change) a key of this request's own is never found again.
        "fragment_key": summary.key or uuid.uuid4().hex,
        # What else decides the page of rows: which page of which order, and the stuck flags
        # on it, which move with the clock rather than with the summary's key.
        "rows_key": [sort, stuck_only, page.number, *(row.member.user_id for row in page if row.stuck)],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "groups/dashboard.html#member-table", context)
    return render(request, "groups/dashboard.html", context)


# A page of rows renders in a few milliseconds whatever the group's size; averages and
# counts above the table still cover every member.
MEMBERS_PER_PAGE = 50


def _named(averages, names) -> list[tuple[str, int]]:
    return [(names.get(a.slug, a.slug), a.percent) for a in averages]


def _member_entry(row: dashboard.Row, pillars, names, today) -> dict:
    """A member's row as the table draws it: a small bar per column (7 wide, 9 apart, 24
    high at 100%), and last activity as relative time with its date for the hover title."""
    by_pillar = dashboard.per_member_pillar(row)
    shown = [(names.get(slug, slug), by_pillar.get(slug) or 0) for slug in pillars]
    spark = [
        {"x": 9 * i, "y": 24 - round(percent * 0.24), "height": round(percent * 0.24)}
        for i, (_name, percent) in enumerate(shown)
    ]
    last = row.member.last_activity
    local = timezone.localtime(last) if last else None
    return {
        "row": row,
        "pillars": shown,
        "spark": spark,
        "spark_width": 9 * len(shown) - 2,
        "last_seen": dashboard.relative_day(local.date(), today) if local else "",
        "last_date": local.strftime("%-d %b %Y, %H:%M") if local else "",
    }


def _dashboard_url(base: str, sort: str, stuck_only: bool, page: int = 1) -> str:
    query = {"sort": sort}
    if stuck_only:
        query["stuck"] = "1"
    if page > 1:
        query["page"] = str(page)
    return f"{base}?{urlencode(query)}"


def _sort_links(base: str, sort: str, stuck_only: bool, page: int) -> dict[str, str]:
    """For each column, the link that sorts by it (again: the other way round), on the same
    page; the stuck toggle changes which members there are, so it starts at page one."""
    links = {}
    for name in dashboard.SORTS:
        target = f"-{name}" if sort == name else name
        links[name] = _dashboard_url(base, target, stuck_only, page)
    links["stuck_toggle"] = _dashboard_url(base, sort, not stuck_only)
    return links


def _page_links(base: str, page, sort: str, stuck_only: bool) -> dict[str, str | None]:
    return {
        "previous": _dashboard_url(base, sort, stuck_only, page.previous_page_number())
        if page.has_previous()
        else None,
        "next": _dashboard_url(base, sort, stuck_only, page.next_page_number()) if page.has_next() else None,
    }


def _page_number(requested: str | None, pages: int) -> int:
    """The page asked for, kept between the first and the last; anything else is page one."""
    try:
        number = int(requested or 1)
    except ValueError:
        return 1
    return min(max(number, 1), pages)


def _page_notice(requested: str | None, page) -> str:
    if requested in (None, "", str(page.number)):
        return ""
    return (
        f"There is no page “{requested[:20]}”, so this is page {page.number} of {page.paginator.num_pages}."
    )


@never_cache
@login_required
@require_safe
def group_csv(request, slug):
    group = _get_group_for_organizer(request, slug)
    summary = group_summary(group)
    columns, names, rows = summary.columns, summary.names, summary.sorted_rows("name")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{group.slug}-progress.csv"'
    # Every field quoted, so a spreadsheet splitting on ";" or tabs still keeps a cell whole (OWASP).
    writer = csv.writer(response, quoting=csv.QUOTE_ALL)
    pillar_names = [dashboard.csv_cell(names.get(slug, slug)) for slug in columns]
    writer.writerow(
        ["group", "member", *pillar_names, "overall", "on track", "current unit", "last activity", "stuck"]
    )
    for row in rows:
        by_pillar = dashboard.per_member_pillar(row)
        last = row.member.last_activity
        writer.writerow(
            [
                dashboard.csv_cell(group.name),
                dashboard.csv_cell(row.member.name),
                *[by_pillar.get(slug, "") for slug in columns],
                row.overall,
                row.track.label,
                dashboard.csv_cell(
                    row.current.title if row.current else ("finished" if row.finished else "")
                ),
                timezone.localtime(last).date().isoformat() if last else "",
                "yes" if row.stuck else "no",
            ]
        )
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def group_join(request, code):
    """Whoever holds the link may see which group it is for; joining takes an account. A
    signed-out visitor is offered sign-up (or sign-in) on the way back here, and a signed-out
    POST joins nothing: it goes to sign in, like any page that needs an account."""
    group = _group_by_invite(code)
    if not request.user.is_authenticated and request.method != "POST":
        return render(request, "groups/join.html", {"group": group, "back_here": request.path})
    return _join(request, group)


@login_required
def _join(request, group):
    already = group.memberships.filter(user=request.user).exists()
    if request.method == "POST":
        Membership.objects.get_or_create(group=group, user=request.user)
        if not already:
            messages.success(request, f"Welcome to {group.name}.")
        return redirect(group)
    return render(request, "groups/join.html", {"group": group, "already": already})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def group_leave(request, slug):
    membership = _get_membership(request, slug)
    group = membership.group
    if request.method != "POST":
        # The only organizer sees why they cannot leave instead of a button that would fail.
        sole_organizer = membership.is_organizer and group.memberships.organizers().count() == 1
        context = {
            "group": group,
            "sole_organizer": sole_organizer,
            "alone": sole_organizer and group.memberships.count() == 1,
        }
        return render(request, "groups/leave.html", context)
    try:
        leave(group, request.user)
    except LastOrganizer:
        messages.error(
            request,
            "You are the group's only organizer. Make another member an organizer first, "
            "or delete the group.",
        )
        return redirect(group)
    messages.success(request, f"You have left {group.name}.")
    return redirect("groups:list")


@login_required
@require_POST
def group_rotate_invite(request, slug):
    group = _get_group_for_organizer(request, slug)
    group.rotate_invite()
    messages.success(request, "There is a new invite link. The old one no longer works.")
    return redirect(group)


@login_required
@require_POST
def member_role(request, slug, user_id):
    group = _get_group_for_organizer(request, slug)
    target = _get_member(group, user_id)
    role = request.POST.get("role")
    if role not in Membership.Role.values:
        messages.error(request, "Choose a role: organizer or member. Nothing was changed.")
        return redirect(group)
    try:
        set_role(group, target.user_id, role)
    except LastOrganizer:
        messages.error(request, NEEDS_AN_ORGANIZER)
        return redirect(group)
    label = "an organizer" if role == Membership.Role.ORGANIZER else "a member"
    messages.success(request, f"{target.user.username} is now {label}.")
    return redirect(group)


@login_required
@require_POST
def member_remove(request, slug, user_id):
    group = _get_group_for_organizer(request, slug)
    target = _get_member(group, user_id)
    try:
        remove(group, target.user_id)
    except LastOrganizer:
        messages.error(request, NEEDS_AN_ORGANIZER)
        return redirect(group)
    if target.user_id == request.user.pk:
        messages.success(request, f"You have left {group.name}.")
        return redirect("groups:list")
    messages.success(request, f"{target.user.username} is no longer in the group.")
    return redirect(group)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def group_delete(request, slug):
    group = _get_group_for_organizer(request, slug)
    if request.method == "POST":
        name = group.name
        group.delete()
        messages.success(request, f"The group {name} is deleted. Its members keep their own progress.")
        return redirect("groups:list")
    return render(request, "groups/delete.html", {"group": group, "count": group.memberships.count()})
