"""Staff edit the catalog in the admin; the admin refuses a prerequisite loop."""

import json

import pytest
from django.db.models import Count
from django.forms import inlineformset_factory

from catalog.admin import PrerequisiteFormSet
from catalog.models import Prerequisite, Resource, Source, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "a-long-password")
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", ["resource", "topic", "stage", "pillar", "source"])
def test_each_catalog_model_has_a_searchable_changelist(client, staff, shipped_catalog, model):
    response = client.get(f"/admin/catalog/{model}/", {"q": "a"})
    assert response.status_code == 200


def test_the_resource_changelist_filters_by_stage(client, staff, shipped_catalog):
    programming = Stage.objects.get(slug="programming")
    response = client.get("/admin/catalog/resource/", {"stage__id__exact": programming.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Learn Python" in html
    assert "Essence of Calculus" not in html


def test_a_resource_edit_page_shows_its_prerequisites(client, staff, shipped_catalog):
    resource = Resource.objects.get(slug="mml-book")
    response = client.get(f"/admin/catalog/resource/{resource.pk}/change/")
    assert response.status_code == 200
    assert "Prerequisites (finish these first)" in response.content.decode()


def test_the_admin_requires_staff(client, django_user_model):
    assert client.get("/admin/catalog/resource/").status_code == 302
    client.force_login(django_user_model.objects.create_user("learner", password="a-long-password"))
    assert client.get("/admin/catalog/resource/").status_code == 302


def _formset(resource, required):
    FormSet = inlineformset_factory(
        Resource, Prerequisite, fk_name="resource", formset=PrerequisiteFormSet, fields=["required"]
    )
    data = {
        "prerequisite_links-TOTAL_FORMS": "1",
        "prerequisite_links-INITIAL_FORMS": "0",
        "prerequisite_links-0-required": str(required.pk),
    }
    return FormSet(data, instance=resource)


def test_the_admin_refuses_a_prerequisite_loop(shipped_catalog):
    khan = Resource.objects.get(slug="khan-academy-math")
    deep = Resource.objects.get(slug="deep-learning-book")
    formset = _formset(khan, deep)
    assert not formset.is_valid()
    [error] = formset.non_form_errors()
    assert error == (
        "These prerequisites would make a loop: "
        "deep-learning-book -> mml-book -> khan-academy-math -> deep-learning-book"
    )


def test_the_admin_accepts_a_harmless_prerequisite(shipped_catalog):
    formset = _formset(Resource.objects.get(slug="islr"), Resource.objects.get(slug="khan-academy-math"))
    assert formset.is_valid(), formset.errors


def test_staff_cannot_delete_history_rows(client, staff, shipped_catalog, django_user_model):
    from mlpath.progress.models import Progress, StatusChange

    learner = django_user_model.objects.create_user("lin", password="a-long-password")
    change = Progress.change(learner, Resource.objects.first(), "done")
    assert client.get(f"/admin/progress/statuschange/{change.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/progress/statuschange/",
        {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"},
    )
    assert response.status_code == 200  # the changelist again, with no delete action to run
    assert "delete_selected" not in response.content.decode()
    assert StatusChange.objects.filter(pk=change.pk).exists()


def test_deleting_a_learner_in_the_admin_takes_their_history_along(
    client, staff, shipped_catalog, django_user_model
):
    from mlpath.progress.models import Progress, StatusChange

    learner = django_user_model.objects.create_user("lin", password="a-long-password")
    Progress.change(learner, Resource.objects.first(), "done")
    confirm = client.get(f"/admin/auth/user/{learner.pk}/delete/")
    assert "Are you sure" in confirm.content.decode()
    response = client.post(f"/admin/auth/user/{learner.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not django_user_model.objects.filter(pk=learner.pk).exists()
    assert not StatusChange.objects.filter(user_id=learner.pk).exists()


def _change_form(resource, **changes) -> dict:
    """What the admin's change form posts for `resource`, with `changes` on top."""
    data = {
        **{name: getattr(resource, name) for name in ("slug", "title", "url", "creator", "summary")},
        **{name: getattr(resource, name) for name in ("kind", "level", "cost", "hours")},
        "other_urls": json.dumps(resource.other_urls),
        "stage": resource.stage_id,
        "pillar": resource.pillar_id or "",
        "topics": [topic.pk for topic in resource.topics.all()],
        "sources": [source.pk for source in resource.sources.all()],
        "prerequisite_links-TOTAL_FORMS": "0",
        "prerequisite_links-INITIAL_FORMS": "0",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_an_admin_edit_of_the_sources_moves_the_count_the_catalog_shows(client, staff, shipped_catalog):
    resource = Resource.objects.get(slug="mml-book")
    assert resource.source_count >= 2
    one = resource.sources.order_by("pk").first()
    response = client.post(
        f"/admin/catalog/resource/{resource.pk}/change/", _change_form(resource, sources=[one.pk])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Resource.objects.get(pk=resource.pk).source_count == 1
    card = client.get("/catalog/", {"q": resource.title}).content.decode()
    assert "Recommended by <strong>1</strong>" in card


def test_deleting_a_source_in_the_admin_moves_the_counts(client, staff, shipped_catalog):
    source = Source.objects.annotate(n=Count("resources")).order_by("-n").first()
    counts = dict(Resource.objects.filter(sources=source).values_list("pk", "source_count"))
    response = client.post(f"/admin/catalog/source/{source.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    for pk, before in counts.items():
        assert Resource.objects.get(pk=pk).source_count == before - 1


def test_the_admin_refuses_a_topic_requirement_loop(client, staff, shipped_catalog):
    from catalog.models import Topic

    vectors = Topic.objects.get(slug="vectors")
    eigen = Topic.objects.get(slug="eigenvalues")
    before = list(vectors.requires.values_list("slug", flat=True))
    response = client.post(
        f"/admin/catalog/topic/{vectors.pk}/change/",
        {"slug": vectors.slug, "name": vectors.name, "pillar": vectors.pillar_id, "requires": [eigen.pk]},
    )
    assert response.status_code == 200
    assert "These requirements would make a loop" in response.content.decode()
    assert list(vectors.requires.values_list("slug", flat=True)) == before
