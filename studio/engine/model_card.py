"""What a model says about its training data and limits, from its model card (``README.md``).

A diffusers folder's card is its ``README.md`` (the Hugging Face convention); a
single ``.safetensors`` file's is ``<stem>.md`` or ``README.md`` beside it. The
statement is the card's training-data / limitations / bias sections when it has
them, else the sentences of its introduction that speak of training, data or
limits. Shown by ``studio models`` and the model picker.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from studio import paths

NO_CARD = "No model card: this model says nothing about its training data, limits or biases."
MAX_CHARS = 480
_SECTION = re.compile(r"training data|data and limits|training dataset|dataset|limitation|bias|out-of-scope|misuse", re.I)
_TOPIC = re.compile(r"\b(train\w*|data\w*|only|not a|limit\w*|bias\w*|synthetic|no external)\b", re.I)


def card_path(spec: str | None) -> Path | None:
    """The model card file for a model spec (None: the starter model), or None."""
    if spec is None:
        folder = paths.starter_model_dir()
        candidates = [folder / "README.md"]
    else:
        p = Path(spec).expanduser()
        if p.is_dir():
            candidates = [p / "README.md"]
        elif p.is_file():
            candidates = [p.with_suffix(".md"), p.parent / "README.md"]
        else:
            return None
    return next((c for c in candidates if c.is_file()), None)


def _plain(text: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_]{1,2}([^*_]+)[*_]{1,2}", r"\1", text)
    return " ".join(text.split())


def _paragraphs(lines: list[str]) -> list[str]:
    out, current = [], []
    for line in lines:
        if not line.strip() or line.startswith(("|", "```", "<")):
            if current:
                out.append(_plain(" ".join(current)))
                current = []
            continue
        current.append(line.strip().lstrip("-* "))
    if current:
        out.append(_plain(" ".join(current)))
    return [p for p in out if p]


def _sections(text: str) -> list[tuple[str, list[str]]]:
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # YAML front matter
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_code = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            sections.append((m.group(1).strip(), []))
        else:
            sections[-1][1].append(line)
    return sections


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def statement_from_card(text: str) -> str:
    """The training-data and limits statement of a model card's markdown."""
    sections = _sections(text)
    picked = [" ".join(_paragraphs(lines)[:1]) for title, lines in sections if title and _SECTION.search(title)]
    picked = [p for p in picked if p]
    if picked:
        return _clip(" ".join(picked))
    intro: list[str] = []
    for title, lines in sections[:2]:  # before and just after the title heading
        intro.extend(_paragraphs(lines)[:3])
    sentences = [s for p in intro for s in re.split(r"(?<=[.!?])\s+", p)]
    chosen = [s for s in sentences if _TOPIC.search(s)]
    return _clip(" ".join(chosen)) if chosen else NO_CARD


@lru_cache(maxsize=64)
def _cached(path: str, mtime_ns: int) -> str:
    try:
        return statement_from_card(Path(path).read_text(encoding="utf-8", errors="replace")[:200_000])
    except OSError:
        return NO_CARD


def training_statement(spec: str | None) -> str:
    """What the model (spec as in ``GenerationRequest.model``; None = starter) says about its data and limits."""
    path = card_path(spec)
    if path is None:
        return NO_CARD
    try:
        return _cached(str(path), path.stat().st_mtime_ns)
    except OSError:
        return NO_CARD
