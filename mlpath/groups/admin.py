from django.contrib import admin

from .models import Membership, StudyGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(StudyGroup)
class StudyGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at"]
    search_fields = ["name", "slug", "description", "created_by__username"]
    list_filter = ["created_at"]
    readonly_fields = ["invite_code", "created_at"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["group", "user", "role", "joined_at"]
    list_filter = ["role", "joined_at"]
    search_fields = ["group__name", "group__slug", "user__username"]
    list_select_related = ["group", "user"]
    raw_id_fields = ["group", "user"]
