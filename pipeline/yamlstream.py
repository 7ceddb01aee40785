"""A YAML document read as a stream of values: for large citations files.

PyYAML's ``yaml.load`` composes the whole document as a graph of nodes before it builds a
single value; for a citations file of 200,000 entries that graph is most of the load's
memory. ``streamed_load`` builds the same values from the parser's events as they come.
"""

from __future__ import annotations

import re
from typing import Any


def fast_reads_alike(text: str) -> bool:
    """Whether libyaml reads ``text`` as ruamel does. libyaml keeps YAML 1.1's line breaks:
    a raw NEL, LINE SEPARATOR or PARAGRAPH SEPARATOR (U+0085, U+2028, U+2029) ends a plain
    scalar, folds to a space inside a quoted one and moves every line number after it,
    where YAML 1.2 (ruamel) reads it as a character of the value. A %YAML directive may
    ask for 1.1's rules (yes/no, octal 017), which ruamel then follows. ruamel refuses a
    tab libyaml reads as a space (``title: a<TAB>b``, ``url: x<TAB># comment``): a run
    would read the file, then fail to write it back. Any of these: the round-trip reader,
    which reads it or says at which line it cannot."""
    return _NOT_ALIKE.search(text) is None


_NOT_ALIKE = re.compile("[\t\x85\u2028\u2029]|^%", re.MULTILINE)


class _Unusual(Exception):
    """YAML that streamed_load leaves to the full loaders (anchors, tags, complex keys)."""


def streamed_load(text: str, loader_class: type) -> Any:
    """What ``yaml.load(text, Loader=loader_class)`` returns, built from libyaml's
    events as they come. yaml.load composes the whole document as a graph of nodes before
    it builds a single value: at 200,000 citations that graph took the load to a 972 MB
    peak (4.7 KB per citation), for values that take 1.1 KB. Here no node outlives its
    value. Anchors, aliases, explicit tags, merge keys, complex keys and a key twice raise _Unusual (the
    caller falls back to the loaders that know them)."""
    from yaml import events as ev
    from yaml.nodes import ScalarNode

    loader = loader_class(text)
    build = loader.yaml_constructors
    open_: list[list[Any]] = []  # [container, the key waiting for its value (or _NO_KEY)]
    root: list[Any] = []

    def add(value: Any) -> None:
        if not open_:
            root.append(value)
        elif isinstance(open_[-1][0], list):
            open_[-1][0].append(value)
        elif open_[-1][1] is _NO_KEY:
            if isinstance(value, dict | list):
                raise _Unusual("a complex key")
            open_[-1][1] = value
        else:
            if open_[-1][1] in open_[-1][0]:
                raise _Unusual("a key twice")  # ruamel refuses it with its line
            open_[-1][0][open_[-1][1]] = value
            open_[-1][1] = _NO_KEY

    try:
        while not isinstance(event := loader.get_event(), ev.StreamEndEvent):
            if isinstance(event, ev.ScalarEvent):
                if event.anchor or event.tag not in (None, "!"):
                    raise _Unusual("an anchor or a tag")
                tag = (
                    loader.resolve(ScalarNode, event.value, event.implicit)
                    if event.tag is None
                    else "tag:yaml.org,2002:str"
                )
                if tag not in build or tag.endswith(":merge"):
                    raise _Unusual(tag)
                add(build[tag](loader, ScalarNode(tag, event.value, style=event.style)))
            elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
                if event.anchor or not event.implicit:
                    raise _Unusual("an anchor or a tag")
                box: dict | list = {} if isinstance(event, ev.MappingStartEvent) else []
                add(box)
                open_.append([box, _NO_KEY])
            elif isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
                open_.pop()
            elif isinstance(event, ev.AliasEvent) or (isinstance(event, ev.DocumentStartEvent) and root):
                raise _Unusual("an alias, or a second document")
    finally:
        loader.dispose()
    return root[0] if root else None


_NO_KEY = object()
