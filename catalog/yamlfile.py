"""Read catalog YAML into plain dicts and lists that remember their line numbers.

PyYAML forgets where a value came from once it is constructed, but every loader
message must name the file and line. The mappings and sequences built here are
ordinary `dict` and `list` subclasses with the line of each key or item kept
beside them.

The catalog is plain YAML, and anything more is refused with its line: aliases
(the classic way to make a small file expand into a huge one), explicit tags,
nesting deeper than any catalog needs, and numbers or dates Python cannot hold.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, ScalarEvent, SequenceStartEvent
from yaml.resolver import Resolver

MAX_FILE_BYTES = 50 * 1024 * 1024
# A catalog nests four levels (file, section, record, list of slugs); twenty leaves
# room and stops "[[[[..." long before Python's recursion limit.
MAX_DEPTH = 20
# Python refuses to turn more than 4,300 digits into an int, and long sexagesimal
# numbers (1:2:3:...) take quadratic time; the catalog's numbers are all short.
MAX_NUMBER_CHARS = 100
# Characters YAML forbids in a stream (it allows tab, line breaks and printable text).
NOT_PRINTABLE_RE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# YAML also breaks lines at NEL and U+2028/9, which editors show inside a line.
UNUSUAL_BREAK_RE = re.compile("[\x85\u2028\u2029]")
LINE_END_RE = re.compile(r"\r\n|\r|\n")

try:
    # libyaml's parser, but not its composer: that one recurses in C and
    # crashes the process on a few hundred kilobytes of "[[[[".
    from yaml.cyaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
        def __init__(self, stream):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


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


class _Loader(Composer, _Parser, SafeConstructor, Resolver):
    def __init__(self, text: str):
        _Parser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.nesting = 0
        self.line_ends = None
        if UNUSUAL_BREAK_RE.search(text):
            self.line_ends = [match.end() for match in LINE_END_RE.finditer(text)]

    def line_at(self, mark) -> int:
        """The line an editor shows for `mark`, counting from 1."""
        if self.line_ends is None:
            return mark.line + 1
        return bisect_right(self.line_ends, mark.index) + 1

    def compose_node(self, parent, index):
        # Composer.compose_node with three refusals, and without the anchor table (no
        # alias may use it) and the path resolvers, which the safe loader never has.
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(None, None, "anchors and aliases (*name) are not allowed", event.start_mark)
        if event.tag not in (None, "!"):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise ComposerError(
                None,
                None,
                f"tags such as {tag[:40]!r} are not allowed; write the value plainly",
                event.start_mark,
            )
        if self.nesting == MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        self.nesting += 1
        if isinstance(event, ScalarEvent):
            node = self.compose_scalar_node(None)
        elif isinstance(event, SequenceStartEvent):
            node = self.compose_sequence_node(None)
        else:
            node = self.compose_mapping_node(None)
        self.nesting -= 1
        return node


def quoted(value) -> str:
    """A value for a message: escaped, so bidi marks and line breaks cannot garble it, and short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = loader.line_at(node.start_mark)
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise ConstructorError(None, None, f"keys must be text, not {quoted(key)}", key_node.start_mark)
        if key in result:
            raise ConstructorError(None, None, f"duplicate key {quoted(key)}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = loader.line_at(key_node.start_mark)
    return result


def _construct_sequence(loader, node):
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line_at(node.start_mark)
    result.item_lines = [loader.line_at(child.start_mark) for child in node.value]
    return result


def _checked(construct, what: str):
    """Wrap one of PyYAML's scalar constructors so a bad value is a YAML error, not a crash.

    Plain scalars such as `0x_` or `2020-13-45` match YAML's patterns for numbers
    and dates but make Python's int() or date() raise ValueError.
    """

    def constructor(loader, node):
        if what == "number" and len(node.value) > MAX_NUMBER_CHARS:
            raise ConstructorError(
                None, None, f"a number {len(node.value)} characters long; put it in quotes", node.start_mark
            )
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            raise ConstructorError(
                None, None, f"{quoted(node.value)} is not a valid {what}; put it in quotes", node.start_mark
            ) from None

    return constructor


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _checked(SafeConstructor.construct_yaml_int, "number"))
_Loader.add_constructor("tag:yaml.org,2002:float", _checked(SafeConstructor.construct_yaml_float, "number"))
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", _checked(SafeConstructor.construct_yaml_timestamp, "date")
)


class YamlError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def parse(text: str, filename: str):
    """Parse one YAML document; raise YamlError with the file and line on failure."""
    bad = NOT_PRINTABLE_RE.search(text)
    if bad:
        # Found here rather than by the parser, whose message gives a character offset.
        line = len(LINE_END_RE.findall(text, 0, bad.start())) + 1
        raise YamlError(
            Problem(filename, line, f"YAML syntax: character U+{ord(bad.group()):04X} is not allowed in YAML")
        )
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = loader.line_at(mark) if mark else 0
        reason = exc.problem or "invalid YAML"
        # libyaml reads a line break after the last line, so an error at the very end
        # of the file would name a line the file does not have.
        last = max(1, len(LINE_END_RE.findall(text)) + (0 if text.endswith(("\n", "\r")) else 1))
        if line > last:
            line = last
            reason += " at the end of the file"
        context_line = min(loader.line_at(exc.context_mark), last) if exc.context_mark else 0
        if exc.context and context_line and context_line != line:
            reason += f" ({exc.context}, which starts on line {context_line})"
        elif exc.context:
            reason += f" ({exc.context})"
        raise YamlError(Problem(filename, line, f"YAML syntax: {reason}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(filename, 0, f"YAML syntax: {exc}")) from None
    except RecursionError:
        raise YamlError(Problem(filename, 0, "YAML syntax: nested too deeply")) from None
    finally:
        loader.dispose()


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
