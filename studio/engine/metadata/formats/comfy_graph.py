"""Walking a ComfyUI API graph in linear time: every traversal keeps a visited set or a memo.

A graph is ``{node id: {"class_type": ..., "inputs": {...}}}``; an input that
is a link reads ``[node id, output slot]``. Graphs come from untrusted files,
so links may dangle, loop or fan out: no walk here visits a node twice, and no
walk recurses (a 10,000-node chain is fine).
"""

from __future__ import annotations

from collections import deque
from typing import Any

TEXT_KEYS = ("text", "text_g", "t5xxl", "prompt", "clip_l", "text_l", "string", "value", "wildcard_text", "populated_text")
_VALUE_KEYS = ("value", "seed", "noise_seed", "int", "float", "number", "Value", "INT", "FLOAT")
MAX_TEXTS = 64  # texts kept per conditioning input (a fan-out DAG cannot blow up)
_MAX_HOPS = 10_000


def link(value: Any) -> tuple[str, int] | None:
    """``(node id, slot)`` when ``value`` is a link."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int)) and not isinstance(value[0], bool):
        slot = value[1] if isinstance(value[1], int) and not isinstance(value[1], bool) else 0
        return str(value[0]), slot
    return None


def inputs_of(graph: dict, node_id: str) -> dict:
    node = graph.get(node_id)
    if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
        return node["inputs"]
    return {}


def kind_of(graph: dict, node_id: str) -> str:
    node = graph.get(node_id)
    kind = node.get("class_type") if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else ""


def resolve_value(graph: dict, value: Any, key: str) -> Any:
    """A widget value, following a link to the primitive or settings node that holds it."""
    seen: set[str] = set()
    for _ in range(_MAX_HOPS):
        found = link(value)
        if found is None:
            return value
        if found[0] in seen:
            return None
        seen.add(found[0])
        inputs = inputs_of(graph, found[0])
        value = next((inputs[k] for k in (key, *_VALUE_KEYS) if k in inputs), None)
        if value is None:
            return None
    return None


def _encoder_text(inputs: dict, side: str) -> str | None:
    """A node's own prompt text; None for a node that passes conditioning on (GLIGEN's box phrase is not the prompt)."""
    if any("conditioning" in name.lower() and link(value) for name, value in inputs.items()):
        return None
    for key in TEXT_KEYS:
        if isinstance(inputs.get(key), str) and inputs[key].strip():
            return inputs[key]
    if isinstance(inputs.get(side), str) and inputs[side].strip():  # loaders with prompt widgets (Efficiency)
        return inputs[side]
    return None


_LITERAL = "\0literal"
_CONDITIONING = ("positive", "negative", "cond", "conditioning_to", "conditioning_from")
_TEXT_INPUT_PREFIXES = ("text", "string", "str", "prompt", "wildcard", "populated")


def _follows(name: str) -> bool:
    """Whether a link input can carry prompt text: conditioning, or a text/string input (concat nodes' a, b...)."""
    return "conditioning" in name or name in _CONDITIONING or name.startswith(_TEXT_INPUT_PREFIXES) or name in ("a", "b", "c", "d", "value")


def _children(graph: dict, node_id: str, slot: int, side: str) -> list[tuple[str, int, str]]:
    inputs = inputs_of(graph, node_id)
    both = link(inputs.get("positive")) and link(inputs.get("negative"))
    passes_on = any("conditioning" in name.lower() and link(value) for name, value in inputs.items())
    out = []
    for name, value in inputs.items():
        found = link(value)
        lowered = name.lower()
        if found is None:
            if isinstance(value, str) and value.strip() and _follows(lowered) and not passes_on:
                out.append((_LITERAL, 0, value))  # a concat node's typed-in part
            continue
        if both and lowered in ("positive", "negative"):
            if lowered != ("positive" if slot == 0 else "negative"):
                continue
        elif not _follows(lowered):
            continue
        out.append((found[0], found[1], side))
    return out


def texts(graph: dict, start: Any, side: str = "positive") -> list[str]:
    """The prompt texts that make the conditioning at link ``start``, in input order, without repeats.

    A text encoder whose text comes from other nodes (a string concatenation,
    a prompt generator) is followed to them; their texts are listed in order.
    """
    first = link(start)
    if first is None:
        return []
    root = (first[0], first[1], side)
    memo: dict[tuple[str, int, str], list[str]] = {}
    pending: dict[tuple[str, int, str], list[tuple[str, int, str]]] = {}  # expanded, children not done
    stack: list[tuple[str, int, str]] = [root]
    while stack:
        key = stack.pop()
        if key in memo:
            continue
        children = pending.get(key)
        if children is None:
            own = _encoder_text(inputs_of(graph, key[0]), key[2])
            if own is not None:
                memo[key] = [own]
                continue
            children = pending[key] = _children(graph, key[0], key[1], key[2])
            stack.append(key)
            stack.extend(c for c in reversed(children) if c[0] != _LITERAL and c not in memo and c not in pending)
            continue
        merged: dict[str, None] = {}
        for child in children:
            for text in (child[2],) if child[0] == _LITERAL else memo.get(child, ()):  # a child still pending is a loop back: nothing
                if len(merged) >= MAX_TEXTS:
                    break
                merged.setdefault(text, None)
        memo[key] = list(merged)
    return memo.get(root, [])


def upstream(graph: dict, start: Any, *, stop: set[str] | None = None, names: tuple[str, ...] | None = None) -> list[str]:
    """Node ids reachable upstream from link ``start`` (breadth first, each once).

    Nodes in ``stop`` are listed but not walked through; with ``names`` only
    those inputs are followed.
    """
    first = link(start)
    if first is None:
        return []
    order: list[str] = []
    seen = {first[0]}
    queue = deque([first[0]])
    while queue and len(order) < _MAX_HOPS * 10:
        node_id = queue.popleft()
        order.append(node_id)
        if stop and node_id in stop:
            continue
        for name, value in inputs_of(graph, node_id).items():
            if names is not None and name not in names:
                continue
            found = link(value)
            if found and found[0] not in seen and found[0] in graph:
                seen.add(found[0])
                queue.append(found[0])
    return order
