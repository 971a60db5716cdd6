"""Staff editing of the catalog.

An edit made here survives `load_catalog` until the same field is changed in
the YAML (see catalog/merge.py); `load_catalog --prefer-yaml` discards it.
"""

from django import forms
from django.contrib import admin
from django.db import models

from .graph import find_cycles
from .models import Pillar, Prerequisite, Resource, Section, Source, Stage, Topic


class PrerequisiteFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        chosen = [
            form.cleaned_data["required"]
            for form in self.forms
            if form.cleaned_data.get("required") and not form.cleaned_data.get("DELETE")
        ]
        requires: dict[str, list[str]] = {}
        for owner, required in Prerequisite.objects.exclude(resource=self.instance).values_list(
            "resource__slug", "required__slug"
        ):
            requires.setdefault(owner, []).append(required)
        requires[self.instance.slug] = [resource.slug for resource in chosen]
        cycles = find_cycles(requires)
        if cycles:
            raise forms.ValidationError(
                "These prerequisites would make a loop: " + "; ".join(" -> ".join(cycle) for cycle in cycles)
            )


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "resource"
    formset = PrerequisiteFormSet
    autocomplete_fields = ["required"]
    extra = 1
    verbose_name = "prerequisite"
    verbose_name_plural = "prerequisites (finish these first)"


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["position", "title", "hours", "slug", "retired"]
    show_change_link = True
    extra = 0


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "resource", "position", "hours", "retired"]
    list_filter = ["retired"]
    list_select_related = ["resource"]
    search_fields = ["slug", "title", "resource__title"]
    autocomplete_fields = ["resource"]
    filter_horizontal = ["topics", "assumes"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "creator", "stage", "pillar", "kind", "level", "cost", "hours", "retired"]
    list_filter = ["retired", "stage", "pillar", "kind", "level", "cost", "sources"]
    list_select_related = ["stage", "pillar"]
    search_fields = ["slug", "title", "creator", "topics__name"]
    filter_horizontal = ["topics", "assumes", "sources"]
    inlines = [PrerequisiteInline, SectionInline]
    readonly_fields = ["source_count", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": ["slug", "title", "url", "other_urls", "creator", "summary"],
                "description": "An edit saved here survives `load_catalog` until someone changes the "
                "same field in fixtures/*.yaml; then the YAML wins and the loader says so.",
            },
        ),
        ("Placement", {"fields": ["stage", "pillar", "kind", "level", "cost", "hours", "topics", "assumes"]}),
        ("Provenance", {"fields": ["sources", "source_count", "retired", "created_at", "updated_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The sources are saved only now, after the resource itself.
        Resource.objects.filter(pk=form.instance.pk).recount_sources()


class TopicForm(forms.ModelForm):
    def clean_requires(self):
        chosen = self.cleaned_data["requires"]
        slug = self.cleaned_data.get("slug") or self.instance.slug
        requires: dict[str, list[str]] = {}
        others = Topic.requires.through.objects.exclude(from_topic__slug=slug)
        for owner, required in others.values_list("from_topic__slug", "to_topic__slug"):
            requires.setdefault(owner, []).append(required)
        requires[slug] = [topic.slug for topic in chosen]
        cycles = find_cycles(requires)
        if cycles:
            raise forms.ValidationError(
                "These requirements would make a loop: " + "; ".join(" -> ".join(cycle) for cycle in cycles)
            )
        return chosen


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "slug", "pillar", "retired"]
    list_filter = ["retired", "pillar"]
    list_select_related = ["pillar"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["requires"]


class OrderedAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "retired"]
    list_editable = ["position"]
    list_filter = ["retired"]
    search_fields = ["name", "slug"]


admin.site.register(Stage, OrderedAdmin)
admin.site.register(Pillar, OrderedAdmin)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "author", "document", "retired"]
    list_filter = ["retired"]
    search_fields = ["title", "author", "slug"]

    def delete_model(self, request, obj):
        resources = list(obj.resources.values_list("pk", flat=True))
        super().delete_model(request, obj)
        Resource.objects.filter(pk__in=resources).recount_sources()

    def delete_queryset(self, request, queryset):
        resources = list(Resource.objects.filter(sources__in=queryset).values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        Resource.objects.filter(pk__in=resources).recount_sources()
