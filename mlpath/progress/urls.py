from django.urls import path

from . import views

app_name = "progress"
urlpatterns = [
    path("", views.path_page, name="path"),
    path("map/", views.map_page, name="map"),
    path("activity/", views.activity_page, name="activity"),
    path("review/", views.review_page, name="review"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.rotate_calendar, name="rotate_calendar"),
    path("calendar/<slug:feed_token>.ics", views.calendar_feed, name="calendar_feed"),
    path("review/<slug:slug>/", views.rate_review, name="rate_review"),
    path("settings/", views.settings_page, name="settings"),
    path("welcome/", views.welcome, name="welcome"),
    path("progress/<slug:slug>/", views.set_status, name="set_status"),
    path("progress/<slug:slug>/note/", views.save_note, name="save_note"),
    path("sections/<slug:slug>/", views.set_section_status, name="set_section_status"),
    path("reset/", views.reset_progress, name="reset"),
    path("export.json", views.export, name="export"),
]
