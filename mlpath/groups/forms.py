from django import forms

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
