"""Staff views of learner data: for support questions, read-mostly."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from .models import PathSettings, Progress, StatusChange
from .signals import learner_changed


class TellsListeners(admin.ModelAdmin):
    """A staff edit moves a learner's path as much as their own click does, so study-group
    dashboards hear of it the same way."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            learner_changed.send(self.model, user=obj.user)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            learner_changed.send(self.model, user=obj.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            users = {row.user for row in queryset.select_related("user")}
            super().delete_queryset(request, queryset)
            for user in users:
                learner_changed.send(self.model, user=user)


@admin.register(Progress)
class ProgressAdmin(TellsListeners):
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

    def has_delete_permission(self, request, obj=None):
        return False


class LearnerAdmin(UserAdmin):
    """Deleting an account takes its history with it, as the learner's own "delete my
    account" does, although staff cannot delete history rows one by one."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(StatusChange._meta.verbose_name)
        return deleted, counts, perms_needed, protected


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), LearnerAdmin)


@admin.register(PathSettings)
class PathSettingsAdmin(TellsListeners):
    list_display = ["user", "stage_order", "known_stages", "hours_per_week", "updated_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
