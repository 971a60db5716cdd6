"""Staff views of learner data: for support questions, read-mostly."""

from django.contrib import admin

from .models import PathSettings, Progress, StatusChange


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "resource", "status", "started_at", "finished_at", "updated_at"]
    list_filter = ["status", "resource__stage"]
    search_fields = ["user__username", "resource__title", "resource__slug"]
    list_select_related = ["user", "resource"]
    raw_id_fields = ["user", "resource"]
    date_hierarchy = "updated_at"


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The history is append-only, here too."""

    list_display = ["changed_at", "user", "resource", "from_status", "to_status"]
    list_filter = ["to_status"]
    search_fields = ["user__username", "resource__title"]
    list_select_related = ["user", "resource"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PathSettings)
class PathSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "stage_order", "known_stages", "hours_per_week", "updated_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
