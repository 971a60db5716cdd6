from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.models import Pillar, Resource, Stage

from .decorators import forget_after_sign_out


@require_safe
def home(request):
    resources = Resource.objects.active()
    context = {
        "resource_count": resources.count(),
        "stages": Stage.objects.active(),
        "pillars": Pillar.objects.active(),
    }
    return render(request, "home.html", context)


@never_cache
@require_safe
def healthz(request):
    # The benchmarks' yardstick: one round trip to the database and nothing else.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


logout = forget_after_sign_out(auth_views.LogoutView.as_view())
