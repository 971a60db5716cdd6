from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .accounts import views as account_views
from .accounts.security import one_attempt_at_a_time

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("catalog/", include("catalog.urls")),
    path("topics/", include("catalog.topic_urls")),
    path("path/", include("mlpath.progress.urls")),
    path("groups/", include("mlpath.groups.urls")),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/delete/", account_views.delete_account, name="delete_account"),
    # Both sign-in forms count failures exactly under parallel attempts; these come
    # before the includes that would otherwise answer the same addresses.
    path("accounts/login/", one_attempt_at_a_time(auth_views.LoginView.as_view()), name="login"),
    path("admin/login/", one_attempt_at_a_time(admin.site.login)),
    path("accounts/password_change/", account_views.password_change, name="password_change"),
    # Django's sign-out (POST only), which also has the browser forget the user's pages.
    path("accounts/logout/", views.logout, name="logout"),
    # password_reset, with our templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
