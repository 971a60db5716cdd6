"""Build catalog rows in code, at any size, for the tests that need a database."""

from decimal import Decimal

from catalog.models import CatalogRevision, Pillar, Prerequisite, Resource, Source, Stage, Topic


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
