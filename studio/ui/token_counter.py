"""Token counts per 75-token chunk, as CLIP text encoders see a prompt (Qt-free).

Without a tokenizer the count is an approximation of CLIP's BPE (about one
token per common word, more for long words, one per punctuation run). Once a
model is loaded, :func:`load_tokenizer` gives the model's own tokenizer; it
imports transformers, so call it off the GUI thread (the prompt editor runs it
in the asyncio loop's executor).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio.ui.prompt_syntax import plain_text, segments

CHUNK = 75

_WORD_OR_PUNCT = re.compile(r"[^\W\d_]+|\d|[^\s\w]+", re.UNICODE)

Tokenize = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """CLIP-like token estimate: words up to 7 letters are one token, longer ones one per ~5 letters."""
    n = 0
    for m in _WORD_OR_PUNCT.finditer(text):
        word = m.group(0)
        n += 1 if len(word) <= 7 or not word[0].isalpha() else math.ceil(len(word) / 5)
    return n


@dataclass(frozen=True)
class TokenCount:
    tokens: int  # tokens in the prompt (no start/end tokens)
    chunks: int  # 75-token chunks the encoder runs
    exact: bool  # counted with the model's tokenizer

    @property
    def capacity(self) -> int:
        return self.chunks * CHUNK

    def label(self) -> str:
        approx = "" if self.exact else "~"
        return f"{approx}{self.tokens}/{self.capacity}"


def count_tokens(text: str, tokenize: Tokenize | None = None) -> TokenCount:
    total = chunks = 0
    for part in segments(text):
        n = (tokenize or approx_tokens)(plain_text(part))
        total += n
        chunks += max(1, math.ceil(n / CHUNK))
    return TokenCount(total, max(1, chunks), tokenize is not None)


def load_tokenizer(model_spec: str | None) -> Tokenize | None:
    """The CLIP tokenizer of a diffusers folder as a counting function, or None (slow: imports transformers)."""
    if not model_spec:
        return None
    folder = Path(model_spec) / "tokenizer"
    if not (folder / "vocab.json").is_file():
        return None
    try:
        from transformers import CLIPTokenizer

        tok = CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    except Exception:
        return None

    def tokenize(text: str) -> int:
        return len(tok(text, add_special_tokens=False)["input_ids"])

    return tokenize
