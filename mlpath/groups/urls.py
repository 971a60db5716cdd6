from django.urls import path, register_converter

from . import views
from .converters import InviteCodeConverter, RowIdConverter

register_converter(InviteCodeConverter, "invite")
register_converter(RowIdConverter, "row_id")

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_new, name="new"),
    path("join/<invite:code>/", views.group_join, name="join"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/dashboard/", views.group_dashboard, name="dashboard"),
    path("<slug:slug>/dashboard.csv", views.group_csv, name="csv"),
    path("<slug:slug>/leave/", views.group_leave, name="leave"),
    path("<slug:slug>/invite/rotate/", views.group_rotate_invite, name="rotate_invite"),
    path("<slug:slug>/members/<row_id:user_id>/role/", views.member_role, name="member_role"),
    path("<slug:slug>/members/<row_id:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<slug:slug>/delete/", views.group_delete, name="delete"),
]
