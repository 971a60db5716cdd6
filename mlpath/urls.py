from django.contrib import admin
from django.urls import include, path

from . import views
from .progress import views as progress_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("catalog/", include("catalog.urls")),
    path("path/", include("mlpath.progress.urls")),
    path("groups/", include("mlpath.groups.urls")),
    path("accounts/signup/", progress_views.signup, name="signup"),
    path("accounts/delete/", progress_views.delete_account, name="delete_account"),
    # login, logout (POST only), password_change and password_reset, with our templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
