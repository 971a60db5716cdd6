from django.utils.cache import add_never_cache_headers


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
