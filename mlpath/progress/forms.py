from decimal import Decimal

from django import forms
from django.db import transaction

from .models import PathSettings, Progress, Status
from .signals import learner_changed


class StatusForm(forms.Form):
    """A new status, or `undo`: the id of the change to take back (the Undo button)."""

    status = forms.ChoiceField(choices=Status.choices, required=False)
    undo = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("status") and data.get("undo") is None:
            raise forms.ValidationError("Choose a status.")
        return data


class NoteForm(forms.ModelForm):
    class Meta:
        model = Progress
        fields = ["note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4, "maxlength": 5000})}
        labels = {"note": "Your note"}
        help_texts = {"note": "Private to you: what clicked, what to revisit, where you stopped."}


class OrderWidget(forms.Widget):
    """One <select> per position, all named alike, so the order works without JavaScript.

    The template renders the selects itself from `PathSettingsForm.order_rows`; this
    widget only reads them back as a list.
    """

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


class PathSettingsForm(forms.Form):
    order = forms.MultipleChoiceField(
        label="Your order of stages", widget=OrderWidget, error_messages={"required": "Choose an order."}
    )
    known = forms.MultipleChoiceField(
        label="Stages you already know",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A stage you know counts as complete, and unlocks what depends on it.",
    )
    hours_per_week = forms.DecimalField(
        label="Hours you can study per week",
        min_value=Decimal("0.5"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        help_text="Used only for your projected finishing date.",
    )

    def __init__(self, data=None, *, stages, path_settings: PathSettings, order):
        self.stages = list(stages)  # (slug, name) in catalog order
        initial = {
            "order": list(order),
            "known": list(path_settings.known_stages or []),
            "hours_per_week": path_settings.hours_per_week,
        }
        super().__init__(data, initial=initial)
        self.fields["order"].choices = self.stages
        self.fields["known"].choices = self.stages

    def clean_order(self):
        order = self.cleaned_data["order"]
        names = dict(self.stages)
        repeated = sorted({slug for slug in order if order.count(slug) > 1})
        if repeated:
            raise forms.ValidationError(
                "Each stage can appear only once; repeated: %(names)s.",
                params={"names": ", ".join(names[slug] for slug in repeated)},
            )
        missing = [name for slug, name in self.stages if slug not in order]
        if missing:
            raise forms.ValidationError(
                "Put every stage in the order; missing: %(names)s.", params={"names": ", ".join(missing)}
            )
        return order

    def order_rows(self):
        """[(position, selected slug)] for the template, echoing what was posted on an error."""
        if self.is_bound:
            chosen = self.data.getlist("order") if hasattr(self.data, "getlist") else []
        else:
            chosen = self.initial["order"]
        chosen = list(chosen) + [""] * (len(self.stages) - len(chosen))
        return list(enumerate(chosen[: len(self.stages)], start=1))

    def save(self, user) -> PathSettings:
        # update_or_create: two first saves at once meet the one-to-one constraint, not a 500.
        with transaction.atomic():
            path_settings = PathSettings.objects.update_or_create(
                user=user,
                defaults={
                    "stage_order": self.cleaned_data["order"],
                    "known_stages": self.cleaned_data["known"],
                    "hours_per_week": self.cleaned_data["hours_per_week"],
                },
            )[0]
            learner_changed.send(PathSettings, user=user)
            return path_settings
