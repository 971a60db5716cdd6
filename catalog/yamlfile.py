"""Read catalog YAML into plain dicts and lists that remember their line numbers.

PyYAML forgets where a value came from once it is constructed, but every loader
message must name the file and line. The mappings and sequences built here are
ordinary `dict` and `list` subclasses with the line of each key or item kept
beside them. Anchors and aliases are refused: the catalog has no use for them
and they are the classic way to make a small file expand into a huge one.
"""

from dataclasses import dataclass

import yaml

MAX_FILE_BYTES = 50 * 1024 * 1024

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the catalog, located as precisely as we can."""

    file: str
    line: int
    message: str
    slug: str = ""

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.slug}]" if self.slug else ""
        return f"{where}:{who} {self.message}"


class LineDict(dict):
    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(_Base):
    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (*name) are not allowed", node.start_mark
            )
        return super().construct_object(node, deep=deep)


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, not {key!r}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader, node):
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class YamlError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def parse(text: str, filename: str):
    """Parse one YAML document; raise YamlError with the file and line on failure."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            reason += f" ({exc.context}, which starts on line {exc.context_mark.line + 1})"
        elif exc.context:
            reason += f" ({exc.context})"
        raise YamlError(Problem(filename, line, f"YAML syntax: {reason}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(filename, 0, f"YAML syntax: {exc}")) from None
    except RecursionError:
        raise YamlError(Problem(filename, 0, "YAML syntax: nested too deeply")) from None


def read(path, display_name: str):
    """Read and parse a file from disk, turning I/O and encoding trouble into a Problem."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlError(Problem(display_name, 0, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}"))
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(Problem(display_name, 0, f"cannot read file: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(display_name, line, "file is not valid UTF-8")) from None
    return parse(text, display_name)
