"""Two middlewares of our own, each listed in settings.MIDDLEWARE where it must run."""

import re

from django.conf import settings
from django.utils.cache import add_never_cache_headers

# What Django's session backends issue: lowercase letters and digits, at most the column's 40.
SESSION_KEY = re.compile(r"[a-z0-9]{1,40}")


def ignore_malformed_session_cookie(get_response):
    """A session cookie that no session backend could have issued is no session at all.

    Django looks any key up as it came, and PostgreSQL refuses to compare text with a NUL
    in it, which a cookie can carry as a quoted escape ("\\000") through any proxy.
    """

    def middleware(request):
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key is not None and not SESSION_KEY.fullmatch(key):
            del request.COOKIES[settings.SESSION_COOKIE_NAME]
        return get_response(request)

    return middleware


class PrivatePagesMiddleware:
    """Every answer to a signed-in user is theirs alone: no shared cache may keep it, and
    nor may the browser, so Back after sign-out asks the server again.

    `Vary: Cookie` is not enough: a proxy may still store the page, and a browser serves
    Back from its cache without asking. A view that sets Cache-Control itself is left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response
