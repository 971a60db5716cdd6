"""Build catalog rows in code, at any size, for the tests that need a database."""

from decimal import Decimal

from catalog.models import CatalogRevision, Pillar, Prerequisite, Resource, Section, Source, Stage, Topic


def make_catalog(resources: int = 30) -> dict:
    """A small, complete catalog: 3 stages, 2 pillars, topics, sources and a prerequisite chain."""
    stages = Stage.objects.bulk_create(
        [
            Stage(slug="programming", name="Programming", position=1),
            Stage(slug="projects", name="Projects", position=2),
            Stage(slug="math", name="Mathematics", position=3),
        ]
    )
    pillars = Pillar.objects.bulk_create(
        [
            Pillar(slug="linear-algebra", name="Linear algebra", position=1),
            Pillar(slug="probability", name="Probability", position=2),
        ]
    )
    topics = Topic.objects.bulk_create(
        [Topic(slug=f"topic-{i}", name=f"Topic {i}", pillar=pillars[i % 2]) for i in range(10)]
    )
    sources = Source.objects.bulk_create([Source(slug=f"source-{i}", title=f"Source {i}") for i in range(4)])
    rows = Resource.objects.bulk_create(
        [
            Resource(
                slug=f"resource-{i}",
                title=f"Resource {i}",
                url=f"https://example.com/{i}",
                creator=f"Creator {i % 7}",
                kind=Resource.Kind.choices[i % 7][0],
                level=1 + i % 3,
                cost="free" if i % 2 else "paid",
                hours=Decimal(1 + i % 9),
                stage=stages[i % 3],
                pillar=pillars[i % 2] if i % 3 == 2 else None,
                summary=f"Summary of resource {i}.",
            )
            for i in range(resources)
        ]
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=row.id, topic_id=topics[(i + k) % 10].id)
            for i, row in enumerate(rows)
            for k in range(3)
        ]
    )
    Resource.sources.through.objects.bulk_create(
        [
            Resource.sources.through(resource_id=row.id, source_id=sources[k].id)
            for i, row in enumerate(rows)
            for k in range(1 + i % 4)
        ]
    )
    Resource.objects.recount_sources()
    Prerequisite.objects.bulk_create(
        [Prerequisite(resource=rows[i], required=rows[i - 3]) for i in range(3, resources)]
        + [Prerequisite(resource=rows[i], required=rows[i - 6]) for i in range(6, resources, 2)]
    )
    CatalogRevision.bump()  # bulk writes send no signals: say the catalog changed
    return {"stages": stages, "pillars": pillars, "topics": topics, "sources": sources, "resources": rows}


def make_plan_catalog() -> dict:
    """A catalog small enough to know its plan by heart.

    Programming teaches python; the project assumes python; linear algebra comes as a
    two-topic video or a book in two chapters; probability as one site. The whole path is
    therefore: the Python course, the project, the video, the site.
    """
    stages = {
        slug: Stage.objects.create(slug=slug, name=name, position=position)
        for position, (slug, name) in enumerate(
            [("programming", "Programming"), ("projects", "Projects"), ("math", "Mathematics")], start=1
        )
    }
    la = Pillar.objects.create(slug="linear-algebra", name="Linear algebra", position=1)
    prob = Pillar.objects.create(slug="probability", name="Probability", position=2)
    topics = {
        "python": Topic.objects.create(slug="python", name="Python"),
        "practice": Topic.objects.create(slug="practice", name="Practice"),
        "vectors": Topic.objects.create(slug="vectors", name="Vectors", pillar=la),
        "matrices": Topic.objects.create(slug="matrices", name="Matrices", pillar=la),
        "chance": Topic.objects.create(slug="chance", name="Chance", pillar=prob),
    }
    topics["matrices"].requires.add(topics["vectors"])
    source = Source.objects.create(slug="seed", title="A seed")

    def resource(slug, title, stage, hours, teaches, *, kind="course", pillar=None, assumes=(), sources=1):
        row = Resource.objects.create(
            slug=slug,
            title=title,
            url=f"https://example.com/{slug}",
            creator="Someone",
            kind=kind,
            level=1,
            cost="free",
            hours=Decimal(hours),
            stage=stages[stage],
            pillar=pillar,
            summary=f"About {title}.",
        )
        row.topics.set([topics[t] for t in teaches])
        row.assumes.set([topics[t] for t in assumes])
        if sources:
            row.sources.add(source)
        return row

    rows = {
        "py": resource("py-course", "Python course", "programming", 8, ["python"]),
        "project": resource(
            "first-project", "First project", "projects", 10, ["practice"], kind="project", assumes=["python"]
        ),
        "video": resource("la-video", "Linear algebra video", "math", 5, ["vectors", "matrices"], pillar=la),
        "book": resource("la-book", "Linear algebra book", "math", 20, ["vectors", "matrices"], pillar=la),
        "site": resource("chance-site", "Chance site", "math", 4, ["chance"], pillar=prob),
    }
    sections = [
        Section.objects.create(
            slug="la-book-1", resource=rows["book"], position=1, title="Vectors", hours=Decimal(8)
        ),
        Section.objects.create(
            slug="la-book-2", resource=rows["book"], position=2, title="Matrices", hours=Decimal(12)
        ),
    ]
    sections[0].topics.set([topics["vectors"]])
    sections[1].topics.set([topics["matrices"]])
    Resource.objects.recount_sources()
    CatalogRevision.bump()
    return {"stages": stages, "topics": topics, "resources": rows, "sections": sections}
