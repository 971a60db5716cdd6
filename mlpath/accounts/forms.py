from django import forms
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User

from .security import wrong_password
from .signals import account_deletion_blockers

# Long passphrases are welcome; a megabyte of "password" is only a way to burn CPU in the hasher.
MAX_PASSWORD_LENGTH = 1024


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional. Only used to reset your password if you forget it."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_password1(self):
        password = self.cleaned_data.get("password1", "")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise forms.ValidationError(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
        return password


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, data=None, *, request):
        self.request = request
        self.user = request.user
        super().__init__(data)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if len(password) > MAX_PASSWORD_LENGTH or not self.user.check_password(password):
            wrong_password(self.request, self.user)
            raise forms.ValidationError("That is not your password. Nothing was deleted.")
        return password

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            reasons = [
                reason
                for _receiver, found in account_deletion_blockers.send(type(self.user), user=self.user)
                for reason in found
            ]
            if reasons:
                raise forms.ValidationError([*reasons, "Nothing was deleted."])
        return cleaned


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with a wrong old password counted as a failed sign-in."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            wrong_password(self.request, self.user)
            raise
