"""Read YAML while keeping node positions, so problems can name a line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser where PyYAML was built with it (about 10x faster than the pure-Python
# one: loading the catalogue took most of a scorer's start-up); its nodes carry line marks too.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PositionLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe loader; kept separate so the project never registers constructors globally."""


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=_PositionLoader)


def load_with_nodes(path: Path) -> tuple[Any, yaml.Node | None]:
    """Return (data, root node), parsing the text once. Raises ``yaml.YAMLError`` on syntax
    errors."""
    loader = _PositionLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the fast loader."""
    return yaml.load(text, Loader=_PositionLoader)  # noqa: S506 - a safe loader


def line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int:
    """1-based line of the deepest node reachable by ``loc`` (keys and list indexes)."""
    if node is None:
        return 0
    line = node.start_mark.line + 1
    current: yaml.Node = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    current = value_node
                    break
            else:
                return line
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                current = current.value[part]
                line = current.start_mark.line + 1
            else:
                return line
        else:
            return line
    return line


def value_line(node: yaml.Node | None, loc: Sequence[Any]) -> int:
    """Like ``line_of`` but pointing at the value rather than the key."""
    if node is None:
        return 0
    current: yaml.Node = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if key_node.value == str(part):
                    current = value_node
                    break
            else:
                return line_of(node, loc)
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                current = current.value[part]
            else:
                return line_of(node, loc)
        else:
            return line_of(node, loc)
    return current.start_mark.line + 1
