from datetime import timedelta

from django import forms
from django.utils import timezone

from mlpath.progress.forms import CatalogChoices, GoalChoiceForm, hours_per_week_field

from .dashboard import SORTS
from .models import StudyGroup


class GroupForm(forms.ModelForm):
    class Meta:
        model = StudyGroup
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}
        help_texts = {"description": "Optional: what the group is working towards, when it meets."}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the group a name.")
        return name


class DashboardForm(forms.Form):
    """Sorting and filtering of the member table; anything unknown falls back to the default."""

    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for name in SORTS for key in (name, f"-{name}")],
    )
    stuck = forms.BooleanField(required=False)

    def options(self) -> tuple[str, bool]:
        if self.is_valid():
            return self.cleaned_data["sort"] or "name", self.cleaned_data["stuck"]
        return "name", bool(self.data.get("stuck") in {"1", "on", "true"})


class GroupGoalForm(GoalChoiceForm):
    """The group's goal, chosen as a learner chooses theirs, and the pace and first day of
    the weekly schedule laid out from it."""

    hours_per_week = hours_per_week_field(
        label="Hours a week the group studies",
        help_text="From 0.5 to 100, such as 4. Each week's milestone holds about this many hours.",
        required="Enter the hours a week the group studies, such as 4.",
        what="Hours a week",
        example="4",
    )
    start = forms.DateField(
        label="First day of week one",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Week one's milestone is due six days later, and each next one a week after.",
        error_messages={"invalid": "Enter a date such as 2027-01-04.", "required": "Enter the first day."},
    )

    def __init__(self, data=None, *, choices: CatalogChoices, initial: dict):
        super().__init__(data, choices=choices, initial=initial)
        self.fields["goal_kind"].label = "The group's goal"
        self.fields["goal_kind"].required = True
        self.fields["goal_kind"].error_messages["required"] = "Choose the group's goal."

    def clean_start(self):
        start = self.cleaned_data["start"]
        today = timezone.localdate()
        if not today - timedelta(days=366) <= start <= today + timedelta(days=366):
            raise forms.ValidationError("Choose a first day within a year of today.")
        return start


class MilestoneForm(forms.Form):
    """One milestone: its name, its date and its units, chosen from the goal's plan."""

    title = forms.CharField(
        label="Name",
        max_length=100,
        error_messages={"required": "Give the milestone a name, such as Week 3."},
    )
    due = forms.DateField(
        label="Due by",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "Enter a date such as 2027-01-10.",
            "required": "Enter the date it is due by.",
        },
    )
    units = forms.MultipleChoiceField(
        label="Units due by then",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one unit. To drop the milestone, delete it instead.",
            "invalid_choice": "“%(value)s” is not one of the goal's units.",
        },
    )

    def __init__(self, data=None, *, units: list[tuple[str, str]], initial: dict | None = None):
        super().__init__(data, initial=initial)
        self.fields["units"].choices = units

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the milestone a name, such as Week 3.")
        return title

    def clean_due(self):
        due = self.cleaned_data["due"]
        today = timezone.localdate()
        if not today - timedelta(days=3 * 366) <= due <= today + timedelta(days=3 * 366):
            raise forms.ValidationError("Choose a date within three years of today.")
        return due
