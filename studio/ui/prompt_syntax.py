"""Prompt syntax shared by the highlighter, the weight shortcut and the token counter (Qt-free).

Understood syntax (AUTOMATIC1111 style):

* ``(words:1.2)`` explicit weight, ``(words)`` x1.1, ``[words]`` /1.1; ``\\(`` is a literal bracket
* ``<lora:name:0.8>``, ``<lyco:...>``, ``<hypernet:...>`` network tags; ``embedding:name`` and
  ``<embedding:name>`` textual-inversion tags
* ``BREAK`` starts a new 75-token chunk
"""

from __future__ import annotations

import re

# Kinds of span the highlighter colours.
BRACKET = "bracket"  # ( ) [ ]
WEIGHT = "weight"  # the number in (words:1.2)
EMPHASIS = "emphasis"  # text inside (..)
DEEMPHASIS = "deemphasis"  # text inside [..]
LORA = "lora"  # <lora:name:0.8>
EMBEDDING = "embedding"  # embedding:name
KEYWORD = "keyword"  # BREAK
ERROR = "error"  # unbalanced bracket

TAG_RE = re.compile(r"<(?P<kind>[A-Za-z_]+):(?P<body>[^<>]*)>")
EMBEDDING_RE = re.compile(r"\bembedding:[\w.\-]+")
BREAK_RE = re.compile(r"\bBREAK\b")
WEIGHT_SUFFIX_RE = re.compile(r":\s*(-?\d+(?:\.\d*)?|-?\.\d+)\s*$")
WORD_RE = re.compile(r"[\w'\-]+")

Span = tuple[int, int, str]  # start, length, kind


def spans(text: str) -> list[Span]:
    """Highlight spans for ``text``; later spans win where they overlap."""
    out: list[Span] = []
    tag_ranges = []
    for m in TAG_RE.finditer(text):
        kind = EMBEDDING if m.group("kind").lower() in ("embedding", "ti", "textual_inversion") else LORA
        out.append((m.start(), m.end() - m.start(), kind))
        tag_ranges.append((m.start(), m.end()))

    def in_tag(i: int) -> bool:
        return any(a <= i < b for a, b in tag_ranges)

    stack: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if in_tag(i):
            i += 1
            continue
        if ch in "([":
            stack.append((i, ch))
        elif ch in ")]":
            want = "(" if ch == ")" else "["
            if stack and stack[-1][1] == want:
                start, _ = stack.pop()
                inner = text[start + 1 : i]
                kind = EMPHASIS if want == "(" else DEEMPHASIS
                m = WEIGHT_SUFFIX_RE.search(inner) if want == "(" else None
                body_end = i
                if m:
                    body_end = start + 1 + m.start()
                    out.append((body_end + 1, i - body_end - 1, WEIGHT))
                if body_end > start + 1:
                    out.insert(0, (start + 1, body_end - start - 1, kind))
                out.append((start, 1, BRACKET))
                out.append((i, 1, BRACKET))
            else:
                out.append((i, 1, ERROR))
        i += 1
    for start, _ in stack:
        out.append((start, 1, ERROR))
    for m in EMBEDDING_RE.finditer(text):
        out.append((m.start(), m.end() - m.start(), EMBEDDING))
    for m in BREAK_RE.finditer(text):
        out.append((m.start(), m.end() - m.start(), KEYWORD))
    return out


def _matching_close(text: str, open_index: int) -> int | None:
    depth = 0
    i = open_index
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _format_weight(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def adjust_weight(text: str, sel_start: int, sel_end: int, delta: float) -> tuple[str, int, int]:
    """Raise or lower the weight of the selection, or of the word or weighted group at the cursor.

    Returns the new text and the new selection (the weighted words, so repeated
    presses keep adjusting the same group). At weight 1.0 the brackets go away.
    Text without a word at the cursor comes back unchanged.
    """
    sel_start, sel_end = sorted((max(0, sel_start), min(len(text), sel_end)))
    # 1. the innermost (words:w) group enclosing the selection
    i = sel_start - 1 if sel_start == sel_end else sel_start
    i = min(i, len(text) - 1)
    depth_needed = 0
    while i >= 0:
        ch = text[i]
        if ch == ")" and i < sel_start:
            depth_needed += 1
        elif ch == "(" and not (i > 0 and text[i - 1] == "\\"):
            if depth_needed:
                depth_needed -= 1
            else:
                close = _matching_close(text, i)
                if close is not None and close >= sel_end:
                    inner = text[i + 1 : close]
                    m = WEIGHT_SUFFIX_RE.search(inner)
                    if m:
                        body = inner[: m.start()]
                        weight = round(float(m.group(1)) + delta, 2)
                        return _rewrap(text, i, close + 1, body, weight)
        i -= 1
    # 2. the selection or the word under the cursor, newly weighted
    if sel_start == sel_end:
        for m in WORD_RE.finditer(text):
            if m.start() <= sel_start <= m.end():
                sel_start, sel_end = m.start(), m.end()
                break
        else:
            return text, sel_start, sel_end
    body = text[sel_start:sel_end]
    if not body.strip():
        return text, sel_start, sel_end
    return _rewrap(text, sel_start, sel_end, body, round(1.0 + delta, 2))


def _rewrap(text: str, start: int, end: int, body: str, weight: float) -> tuple[str, int, int]:
    if abs(weight - 1.0) < 1e-9:
        return text[:start] + body + text[end:], start, start + len(body)
    new = f"({body}:{_format_weight(weight)})"
    return text[:start] + new + text[end:], start + 1, start + 1 + len(body)


def plain_text(text: str) -> str:
    """The prompt as the text encoder sees it: network tags, brackets and weights removed."""
    text = TAG_RE.sub(lambda m: "" if m.group("kind").lower() not in ("embedding",) else m.group("body"), text)
    text = re.sub(r":\s*-?\d+(?:\.\d*)?\s*\)", ")", text)
    text = re.sub(r"(?<!\\)[()\[\]]", " ", text)
    return text.replace("\\(", "(").replace("\\)", ")").replace("\\[", "[").replace("\\]", "]")


def segments(text: str) -> list[str]:
    """The prompt split at ``BREAK`` into the parts that start new chunks."""
    return BREAK_RE.split(text)

