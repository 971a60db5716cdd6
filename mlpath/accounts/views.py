from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import PasswordChangeView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mlpath.decorators import forget_after_sign_out, login_required
from mlpath.redirects import next_url

from .forms import DeleteAccountForm, GuardedPasswordChangeForm, SignupForm
from .security import guards_password


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("progress:path")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # Where they were going (an invite's link) wins; otherwise a few questions first.
        # That page says what is left to do there (an invite: press Join), so the welcome
        # only points at it: accounts know nothing of the pages they send people back to.
        welcome = reverse("progress:welcome")
        destination = next_url(request, welcome)
        carry_on = " Carry on below." if destination != welcome else ""
        messages.success(request, f"Welcome, {user.username}. Your account is ready.{carry_on}")
        return redirect(destination)
    return render(request, "registration/signup.html", {"form": form, "next": next_url(request, "")})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forget_after_sign_out
@guards_password
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        username = request.user.username
        request.user.delete()
        logout(request)
        messages.success(request, f"The account {username} and all its progress are deleted.")
        return redirect("home")
    return render(request, "registration/delete_account.html", {"form": form})


class _PasswordChangeView(PasswordChangeView):
    form_class = GuardedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


# Django's page, with wrong old passwords throttled like sign-in (guards_password).
password_change = login_required(guards_password(_PasswordChangeView.as_view()))
