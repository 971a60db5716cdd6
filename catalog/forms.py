from django import forms
from django.db.models import Q

from .models import Resource

LEVELS = {
    "beginner": Resource.Level.BEGINNER,
    "intermediate": Resource.Level.INTERMEDIATE,
    "advanced": Resource.Level.ADVANCED,
}


class CatalogFilterForm(forms.Form):
    """The catalog's filters. Invalid values are reported and ignored, never guessed."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    stage = forms.ChoiceField(required=False)
    pillar = forms.ChoiceField(required=False)
    topic = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Resource.Kind.choices])
    level = forms.ChoiceField(
        required=False,
        choices=[("", "Any level"), *((slug, slug.capitalize()) for slug in LEVELS)],
    )
    free = forms.BooleanField(label="Free only", required=False)

    def __init__(self, data=None, *, stages, pillars, topics):
        super().__init__(data)
        # (slug, name) pairs: at a thousand topics, model instances for a list of choices add up.
        self.fields["stage"].choices = [("", "Any stage"), *stages]
        self.fields["pillar"].choices = [("", "Any pillar"), *pillars]
        # A thousand topics, and the select is usually printed from the page's fragment cache:
        # read them only when a topic is validated or the select is drawn.
        self.fields["topic"].choices = lambda: [("", "Any topic"), *topics]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Title, creator or topic", "autocomplete": "off"}
        )

    @property
    def active_filters(self) -> dict:
        """The filters that were valid and given; invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def filter(self, resources):
        chosen = self.active_filters
        if "q" in chosen:
            text = chosen["q"]
            topic_match = Resource.topics.through.objects.filter(topic__name__icontains=text).values(
                "resource_id"
            )
            resources = resources.filter(
                Q(title__icontains=text) | Q(creator__icontains=text) | Q(id__in=topic_match)
            )
        if "stage" in chosen:
            resources = resources.filter(stage__slug=chosen["stage"])
        if "pillar" in chosen:
            resources = resources.filter(pillar__slug=chosen["pillar"])
        if "topic" in chosen:
            resources = resources.filter(topics__slug=chosen["topic"])
        if "kind" in chosen:
            resources = resources.filter(kind=chosen["kind"])
        if "level" in chosen:
            resources = resources.filter(level=LEVELS[chosen["level"]])
        if chosen.get("free"):
            resources = resources.filter(cost=Resource.Cost.FREE)
        return resources
