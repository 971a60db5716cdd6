"""Runs before Django's SessionMiddleware (settings.MIDDLEWARE), which trusts the cookie it finds."""

import re

from django.conf import settings

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
