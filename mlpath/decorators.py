from functools import wraps
from urllib.parse import urlsplit

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect


def login_required(view):
    """`login_required` that also copes with htmx.

    A plain request is redirected to sign in as usual. An htmx request from a visitor
    whose session has expired would follow that redirect and swap the whole sign-in page
    into a fragment; instead the browser is told to go to the sign-in page itself, and to
    come back to the page it was on.
    """
    plain = django_login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            try:
                page = urlsplit(request.htmx.current_url or "")
            except ValueError:  # the client writes this header, and it may be no URL at all
                back = request.path
            else:
                back = (page.path + (f"?{page.query}" if page.query else "")) or request.path
            login = redirect_to_login(back, redirect_field_name=REDIRECT_FIELD_NAME)
            return HttpResponseClientRedirect(login["Location"])
        return plain(request, *args, **kwargs)

    return wrapper


def forget_after_sign_out(view):
    """Once the view has signed the visitor out, have the browser forget what it kept.

    On a shared computer the next person would otherwise get the last user's pages back
    with Back: from the HTTP cache, and from the snapshots htmx keeps in sessionStorage.
    Cookies are left to Django, which ends the session itself.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "POST" and not request.user.is_authenticated:
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return wrapper
