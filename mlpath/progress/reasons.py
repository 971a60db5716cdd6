"""Why a resource is recommended, in the learner's words: one short clause per rule of
the ranking (ranking.py) that picked it."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .index import IN_PROGRESS, Item, Learner

if TYPE_CHECKING:
    from .ranking import Bar


def sentence(reasons: Sequence[str]) -> str:
    """The clauses as one sentence: capitalised, joined by semicolons, with a full stop."""
    text = "; ".join(reasons)
    return text[:1].upper() + text[1:] + "." if text else ""


def reasons_for(
    item: Item,
    *,
    learner: Learner,
    order: Sequence[str],
    stage_by_slug: Mapping[str, "Bar"],
    needed_by: Item | None,
    prerequisites_covered: bool,
    pillar_bar: "Bar | None",
    least_pillar: "Bar | None",
    opens: Sequence[Item],
    names: Mapping[str, str],
    total_sources: int,
) -> tuple[str, ...]:
    """ "Why this", in the learner's words, one short clause per rule that picked it."""

    def name(slug: str) -> str:
        return names.get(slug, slug)

    reasons = []
    if learner.statuses.get(item.slug) == IN_PROGRESS:
        reasons.append("you have already started it")
    index = order.index(item.stage) if item.stage in order else 0
    before = order[:index]
    if needed_by is not None:
        reasons.append(f"{needed_by.title}, in your {name(needed_by.stage)} stage, needs it first")
    elif not before:
        reasons.append(f"{name(item.stage)} is the first stage of your path")
    elif not all(stage_by_slug[slug].complete for slug in before):
        # Only something already started gets here (rule 1): say so honestly.
        reasons.append(
            f"it is ahead of your path: {name(item.stage)} comes after stages you have not finished"
        )
    elif stage_by_slug[before[-1]].known:
        reasons.append(f"you already know {name(before[-1])}, so {name(item.stage)} is next")
    else:
        reasons.append(f"your {name(before[-1])} stage is complete")
    if pillar_bar is not None and least_pillar is not None:
        pillar = name(pillar_bar.slug)
        if pillar_bar.covered_hours == 0:
            reasons.append(f"you have not started {pillar} yet")
        elif pillar_bar.fraction <= least_pillar.fraction:
            reasons.append(f"{pillar} is your least covered pillar ({pillar_bar.percent}%)")
        else:
            reasons.append(f"it moves {pillar} on from {pillar_bar.percent}%")
    if item.requires and needed_by is None and prerequisites_covered:
        reasons.append("you have covered what it builds on")
    if item.sources:
        of = f" of our {total_sources}" if total_sources else ""
        verb = "recommends" if item.sources == 1 else "recommend"
        noun = "source" if item.sources == 1 and not total_sources else "sources"
        reasons.append(f"{item.sources}{of} {noun} {verb} it")
    if opens:
        reasons.append(f"it opens {len(opens)} resource{'s' if len(opens) != 1 else ''}")
    return tuple(reasons)
