"""The shipped catalog: every resource the four seeds name, once, in our own words."""

import re

import pytest

from catalog.loader import DEFAULT_PATH, read_catalog
from tests.conftest import IN_CI, SEEDS

THREAD = "prasoon-math-thread"
ARTICLE = "beginner-linear-algebra-article"
OLABODE = "olabode-maths-resources"
ESSAY = "four-pillars-essay"

# slug -> the seeds that name it. One row per resource the seeds mention.
SEED_RESOURCES = {
    "3b1b-essence-of-linear-algebra": {ARTICLE, THREAD, OLABODE},
    "khan-academy-linear-algebra": {ARTICLE},
    "donges-basic-linear-algebra": {ARTICLE},
    "fastai-computational-linear-algebra": {ARTICLE, OLABODE},
    "deep-learning-book": {ARTICLE, OLABODE, ESSAY},
    "appliedai-linear-algebra": {ARTICLE},
    "mit-18-06-linear-algebra": {ARTICLE, THREAD},
    "coding-the-matrix": {ARTICLE},
    "fcc-python-basics": {THREAD},
    "fcc-python-intermediate": {THREAD},
    "kaggle-competition": {THREAD},
    "3b1b-neural-networks": {THREAD, OLABODE},
    "seeing-theory": {THREAD},
    "khan-academy-math": {THREAD, OLABODE},
    "3b1b-essence-of-calculus": {THREAD, OLABODE},
    "mml-book": {THREAD, OLABODE},
    "calculus-in-35-minutes": {OLABODE},
    "imperial-multivariate-calculus": {OLABODE},
    "islr": {OLABODE},
    "linear-algebra-done-right": {ESSAY},
    "morin-probability": {ESSAY},
    "mit-18-02-multivariable-calculus": {ESSAY},
    "grokking-deep-learning": {ESSAY},
    "neural-network-from-scratch": {ESSAY},
    "cnn-in-numpy": {ESSAY},
}


@pytest.fixture(scope="module")
def catalog():
    catalog, _ = read_catalog([DEFAULT_PATH])
    return catalog


def resources(catalog):
    return catalog.by_slug("resources")


def test_every_resource_the_seeds_name_is_there_once_with_all_its_seeds(catalog):
    found = {slug: set(record.values["sources"]) for slug, record in resources(catalog).items()}
    assert found == SEED_RESOURCES


def test_every_url_a_seed_gives_is_in_the_catalog(catalog):
    urls = set()
    for record in catalog.records["resources"]:
        urls.add(record.values["url"])
        urls.update(record.values["other_urls"])
    for url in [
        "https://www.youtube.com/watch?v=rfscVS0vtbw",
        "https://www.youtube.com/watch?v=HGOBQPFzWko",
        "https://www.youtube.com/watch?v=aircAruvnKk&list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi",
        "https://seeing-theory.brown.edu/basic-probability/index.html",
        "https://www.youtube.com/playlist?list=PL49CF3715CB9EF31D",
        "https://www.youtube.com/watch?v=fNk_zzaMoSs&list=PLZHQObOWTQDPD3MizzM2xVFitgF8hE_ab",
        "https://www.khanacademy.org/math",
        "https://mml-book.github.io/",
        "https://mml-book.github.io/book/mml-book.pdf",
    ]:
        assert url in urls


def test_mit_18_06_is_one_entry_with_the_course_and_the_playlist(catalog):
    record = resources(catalog)["mit-18-06-linear-algebra"]
    assert record.values["url"].startswith("https://ocw.mit.edu/courses/18-06")
    assert record.values["other_urls"] == ["https://www.youtube.com/playlist?list=PL49CF3715CB9EF31D"]


def test_the_projects_are_real_entries_in_the_projects_stage(catalog):
    projects = {s for s, r in resources(catalog).items() if r.values["kind"] == "project"}
    assert projects == {"kaggle-competition", "neural-network-from-scratch", "cnn-in-numpy"}
    assert all(resources(catalog)[s].values["stage"] == "projects" for s in projects)


def test_the_seeds_advice_shapes_the_prerequisites(catalog):
    r = resources(catalog)
    assert "khan-academy-math" in r["mml-book"].values["prerequisites"]
    assert "fcc-python-intermediate" in r["kaggle-competition"].values["prerequisites"]
    assert r["deep-learning-book"].values["stage"] == "deep-learning"


def test_the_stages_default_to_programming_projects_math(catalog):
    order = sorted(catalog.records["stages"], key=lambda s: s.values["position"])
    assert [s.slug for s in order] == ["programming", "projects", "math", "deep-learning"]


def test_the_four_pillars_are_there(catalog):
    pillars = set(catalog.by_slug("pillars"))
    assert {"linear-algebra", "probability", "calculus", "optimization"} <= pillars


def test_the_topics_the_seeds_name_are_there(catalog):
    names = {record.values["name"].lower() for record in catalog.records["topics"]}
    expected = [
        # The thread's Python concepts.
        "object-oriented python: classes, objects, methods",
        "list slicing",
        "string formatting",
        "dictionaries and tuples",
        "basic terminal commands",
        "exception handling",
        # The thread's math topics.
        "linear algebra",
        "calculus",
        "trigonometry",
        "algebra",
        "statistics",
        "probability",
        # The first seed's further topics.
        "law of large numbers",
        "geometry of high dimensions",
        "random walks in euclidean space",
        "gradient descent",
        "graph partitioning",
        "bayesian (belief) networks",
    ]
    assert [name for name in expected if name not in names] == []


def _shingles(text: str, size: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_summaries_are_in_our_own_words(catalog):
    if not SEEDS.is_dir():
        if IN_CI:
            pytest.fail(f"the seed documents must be beside the checkout in CI: {SEEDS}")
        pytest.skip(f"seed documents not found at {SEEDS}")
    seed_shingles = set()
    for path in SEEDS.glob("*.txt"):
        seed_shingles |= _shingles(path.read_text(encoding="utf-8"))
    copied = {}
    for kind in ("resources", "sources", "stages", "pillars"):
        for record in catalog.records[kind]:
            overlap = _shingles(record.values.get("summary", "")) & seed_shingles
            if overlap:
                copied[record.slug] = sorted(" ".join(s) for s in overlap)
    assert copied == {}


def test_resources_the_seeds_give_no_address_for_carry_no_guessed_one(catalog):
    # The seeds name these three without a link; an address from memory could be wrong.
    for slug in ("donges-basic-linear-algebra", "appliedai-linear-algebra", "calculus-in-35-minutes"):
        assert resources(catalog)[slug].values["url"] == ""
