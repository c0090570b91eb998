"""Read one YAML file into a tree of positioned nodes, refusing what a desired-state file must not be.

`documents.read_document` calls `read_file`. PyYAML (its C parser when available) produces events; this module
builds the tree itself so that it can keep the line and column of every key and value, report duplicate keys,
and bound what a hostile file can cost: the file size, the nesting depth and the number of values after
aliases are expanded (a "billion laughs" file stops here). Any failure is one `SourceError`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from controller.desired.problems import FILE, YAML, breadcrumb, shorten

MAX_FILE_BYTES = 1024 * 1024
MAX_VALUES = 100_000
MAX_DEPTH = 32

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")}
_TEXT_TAGS = {f"{_TAG}{name}" for name in ("timestamp", "value", "merge")}
_NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceError(Exception):
    """Why a file could not be read as YAML, and where."""

    def __init__(self, message: str, *, line: int = 1, column: int = 1, crumb: str = YAML) -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.crumb = message, line, column, crumb


@dataclass
class Node:
    """A YAML value: a scalar, `dict[str, Node]` or `list[Node]`, with its 1-based position."""

    value: Any
    line: int
    column: int
    text: str | None = None
    """How a scalar was written (`111111111111`, `yes`), for messages."""
    plain: bool = False
    """The scalar was written without quotes, so YAML chose its type."""
    key_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    size: int = 1
    depth: int = 1


def read_file(path: str) -> tuple[bytes, Node | None]:
    """The raw bytes and the root node (None for a file without content) of the YAML file at `path`."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror or error}", crumb=FILE) from None
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB; refusing to read it", crumb=FILE)
    return data, parse(decode(data))


def decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError("file is UTF-16 or UTF-32; save it as UTF-8", crumb=FILE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data.decode("utf-8", errors="replace"), _char_offset(data, error.start))
        message = f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8 text"
        raise SourceError(message, line=line, column=column, crumb=FILE) from None
    bad = _NOT_TEXT.search(text)
    if bad:
        line, column = _position(text, bad.start())
        message = f"contains the control character U+{ord(bad.group()):04X}; a YAML file must be text"
        raise SourceError(message, line=line, column=column, crumb=FILE)
    return text


def parse(text: str) -> Node | None:
    builder = _Builder()
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, text) from None
    except yaml.YAMLError as error:
        raise SourceError(f"invalid YAML: {str(error).splitlines()[0]}") from None
    return builder.root


def to_plain(node: Node) -> Any:
    """The JSON-like value of a node: dicts, lists, str, int, float, bool, None."""
    if isinstance(node.value, dict):
        return {key: to_plain(child) for key, child in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(child) for child in node.value]
    return node.value


def _char_offset(data: bytes, byte_offset: int) -> int:
    return len(data[:byte_offset].decode("utf-8", errors="replace"))


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    lines = _LINE_BREAK.split(before)
    return len(lines), len(lines[-1]) + 1


def _syntax_error(error: yaml.MarkedYAMLError, text: str) -> SourceError:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line, mark.column) if mark else (0, 0)
    lines = _LINE_BREAK.split(text)
    if line < len(lines) and lines[line][column : column + 1] == "\t":
        return SourceError("a tab cannot indent YAML; use spaces", line=line + 1, column=column + 1)
    message = f"invalid YAML: {error.problem or error.context}"
    if error.problem and error.context and error.context_mark:
        where = f"line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
        message += f" ({error.context} at {where})"
    return SourceError(message, line=line + 1, column=column + 1)


@dataclass
class _Frame:
    node: Node
    path: tuple[str | int, ...]
    anchor: str | None
    key: tuple[str, int, int] | None = None
    merges: list[Node] = field(default_factory=list)


class _Builder:
    """Turns parser events into `Node`s, one document only."""

    def __init__(self) -> None:
        self.root: Node | None = None
        self.documents = 0
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.expanded = 0
        """Values in the document once aliases are expanded, so far."""
        self.resolver = Resolver()
        self.constructor = SafeConstructor()

    def feed(self, event: yaml.Event) -> None:
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise SourceError("a file holds one YAML document; this is a second", line=line, column=column)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(event, line, column)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close()
        elif isinstance(event, yaml.ScalarEvent):
            if self._expects_key():
                self._key(event, line, column)
            else:
                self._count(1, line, column)
                self._attach(self._scalar(event, line, column), event.anchor)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event, line, column)

    def _count(self, values: int, line: int, column: int) -> None:
        self.expanded += values
        if self.expanded > MAX_VALUES:
            message = f"more than {MAX_VALUES} values once aliases are expanded; refusing to read it"
            raise SourceError(message, line=line, column=column)

    def _expects_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].node.value, dict) and self.stack[-1].key is None

    def _open(self, event: yaml.Event, line: int, column: int) -> None:
        kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
        if self._expects_key():
            raise SourceError("a key must be plain text, not a mapping or a list", line=line, column=column)
        if event.tag not in (None, "!", f"{_TAG}{kind}"):
            raise SourceError(f"unsupported tag '{event.tag}'", line=line, column=column)
        if len(self.stack) >= MAX_DEPTH:
            raise SourceError(f"nested more than {MAX_DEPTH} levels deep", line=line, column=column)
        self._count(1, line, column)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        path = self._child_path()
        self.stack.append(_Frame(Node({} if kind == "map" else [], line, column), path, event.anchor))

    def _child_path(self) -> tuple[str | int, ...]:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.node.value, list):
            return (*top.path, len(top.node.value))
        return (*top.path, top.key[0]) if top.key else top.path

    def _close(self) -> None:
        frame = self.stack.pop()
        node = frame.node
        if frame.merges:
            self._merge(frame)
        children = node.value.values() if isinstance(node.value, dict) else node.value
        node.size = 1 + sum(child.size for child in children)
        node.depth = 1 + max((child.depth for child in children), default=0)
        if node.depth > MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep once aliases are expanded"
            raise SourceError(message, line=node.line, column=node.column)
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
        self._attach(node, frame.anchor)

    def _merge(self, frame: _Frame) -> None:
        mapping = frame.node
        for source in frame.merges:
            for key, child in source.value.items():
                if key not in mapping.value:
                    mapping.value[key] = child
                    mapping.key_positions[key] = source.key_positions[key]

    def _key(self, event: yaml.ScalarEvent, line: int, column: int) -> None:
        frame = self.stack[-1]
        key = event.value
        if key == "<<" and not event.style and event.tag is None:
            frame.key = ("<<", line, column)
            return
        if key in frame.node.key_positions:
            first_line = frame.node.key_positions[key][0]
            message = f"duplicate key '{key}' (first defined on line {first_line})"
            raise SourceError(message, line=line, column=column, crumb=breadcrumb((*frame.path, key)))
        frame.key = (key, line, column)

    def _attach(self, node: Node, anchor: str | None) -> None:
        if anchor:
            self.anchors[anchor] = node
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        if isinstance(frame.node.value, list):
            frame.node.value.append(node)
            return
        key, line, column = frame.key
        frame.key = None
        if key == "<<":
            self._add_merge(frame, node)
            return
        frame.node.value[key] = node
        frame.node.key_positions[key] = (line, column)

    def _add_merge(self, frame: _Frame, node: Node) -> None:
        sources = node.value if isinstance(node.value, list) else [node]
        if not all(isinstance(source.value, dict) for source in sources):
            message = "a merge key '<<' takes a mapping or a list of mappings"
            raise SourceError(message, line=node.line, column=node.column)
        frame.merges.extend(sources)

    def _alias(self, event: yaml.AliasEvent, line: int, column: int) -> None:
        if self._expects_key():
            raise SourceError("a key must be plain text, not an alias", line=line, column=column)
        if event.anchor in self.open_anchors:
            raise SourceError(f"alias '*{event.anchor}' refers to itself", line=line, column=column)
        if event.anchor not in self.anchors:
            raise SourceError(f"alias '*{event.anchor}' has no anchor before it", line=line, column=column)
        self._count(self.anchors[event.anchor].size, line, column)
        self._attach(self.anchors[event.anchor], None)

    def _scalar(self, event: yaml.ScalarEvent, line: int, column: int) -> Node:
        tag = event.tag
        if tag in (None, "!"):
            implicit = event.implicit if tag is None else (False, False)
            tag = self.resolver.resolve(ScalarNode, event.value, implicit)
        plain = not event.style and event.tag is None
        if tag in _TEXT_TAGS:
            return Node(event.value, line, column, text=event.value, plain=plain)
        if tag not in _SCALAR_TAGS:
            raise SourceError(f"unsupported tag '{tag}'", line=line, column=column)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.construct_object(node)
        except (ValueError, yaml.YAMLError):
            message = f"cannot read {shorten(event.value)} as {tag[len(_TAG) :]}"
            raise SourceError(message, line=line, column=column) from None
        return Node(value, line, column, text=event.value, plain=plain)
