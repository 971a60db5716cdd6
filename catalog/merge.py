"""Who wins when the YAML and an admin edit disagree: a pure three-way merge.

Each catalog row remembers the YAML values it was last loaded from (`base`).
On the next load, field by field:

- the YAML changed the field since the last load -> the YAML wins;
- the YAML did not change it, but the row differs -> an admin edited it, keep it;
- both changed it to different values -> the YAML wins, and the loader says so.

So a fixture edit always reaches the database, and an admin edit survives every
reload until someone edits the same field in the YAML. `prefer_yaml` takes the
YAML for every field, which is how an admin edit is thrown away on purpose.
"""

from dataclasses import dataclass, field


@dataclass
class Merged:
    values: dict
    kept: list[str] = field(default_factory=list)  # admin edits kept
    overwritten: list[str] = field(default_factory=list)  # admin edits replaced by the YAML


def merge(base: dict | None, current: dict, incoming: dict, prefer_yaml: bool = False) -> Merged:
    result = Merged(values={})
    for name, new in incoming.items():
        now = current.get(name)
        known_base = base is not None and name in base
        if now == new:
            result.values[name] = new
        elif base is not None and name not in base and now in ([], "", None):
            # A field the format gained since the last load, still empty: nobody edited it.
            result.values[name] = new
        elif known_base and base[name] == new and not prefer_yaml:
            result.values[name] = now
            result.kept.append(name)
        else:
            result.values[name] = new
            if not known_base or base[name] != now:
                result.overwritten.append(name)
    return result
