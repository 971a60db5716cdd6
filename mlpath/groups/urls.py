from django.urls import path, register_converter

from . import goal_views, views
from .converters import InviteCodeConverter, RowIdConverter

register_converter(InviteCodeConverter, "invite")
register_converter(RowIdConverter, "row_id")

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_new, name="new"),
    path("join/<invite:code>/", views.group_join, name="join"),
    path("calendar/<invite:feed_token>.ics", goal_views.group_calendar_feed, name="calendar_feed"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/dashboard/", views.group_dashboard, name="dashboard"),
    path("<slug:slug>/dashboard.csv", views.group_csv, name="csv"),
    path("<slug:slug>/leave/", views.group_leave, name="leave"),
    path("<slug:slug>/invite/rotate/", views.group_rotate_invite, name="rotate_invite"),
    path("<slug:slug>/members/<row_id:user_id>/role/", views.member_role, name="member_role"),
    path("<slug:slug>/members/<row_id:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<slug:slug>/delete/", views.group_delete, name="delete"),
    path("<slug:slug>/goal/", goal_views.group_goal, name="goal"),
    path("<slug:slug>/schedule/", goal_views.group_schedule, name="schedule"),
    path("<slug:slug>/schedule/new/", goal_views.milestone_edit, name="milestone_new"),
    path("<slug:slug>/schedule/<row_id:milestone_id>/", goal_views.milestone_edit, name="milestone_edit"),
    path(
        "<slug:slug>/schedule/<row_id:milestone_id>/delete/",
        goal_views.milestone_delete,
        name="milestone_delete",
    ),
    path("<slug:slug>/members/<row_id:user_id>/", goal_views.member_detail, name="member"),
    path("<slug:slug>/adopt/", goal_views.adopt_goal, name="adopt"),
    path("<slug:slug>/digest/", goal_views.digest_toggle, name="digest"),
    path("<slug:slug>/calendar/", goal_views.group_calendar_rotate, name="calendar"),
]
