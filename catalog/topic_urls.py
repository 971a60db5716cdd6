"""/topics/<slug>/: a topic's own page, under its own prefix rather than the catalog's."""

from django.urls import path

from . import views

app_name = "topics"
urlpatterns = [
    path("<slug:slug>/", views.topic_detail, name="detail"),
]
