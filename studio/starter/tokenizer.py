"""Build a small CLIP BPE tokenizer offline from the caption vocabulary.

Writes vocab.json + merges.txt in CLIP's format (byte-level symbols, word-final
symbols end with ``</w>``), plus tokenizer_config.json / special_tokens_map.json
so ``CLIPTokenizer.from_pretrained(folder, local_files_only=True)`` loads it.

Every caption word becomes one token. Any other text still tokenizes: all 256
byte symbols (plain and word-final) are in the vocabulary.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .captions import vocabulary_words

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LENGTH = 77


def bytes_to_unicode() -> dict[int, str]:
    """CLIP/GPT-2 reversible byte -> printable unicode map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _symbols(word: str, b2u: dict[int, str]) -> list[str]:
    chars = [b2u[b] for b in word.encode("utf-8")]
    chars[-1] = chars[-1] + "</w>"
    return chars


def learn_merges(words: list[str]) -> list[tuple[str, str]]:
    """Plain BPE training until every word is a single symbol.

    Merges are applied to all words in the order learned, which is exactly how
    the tokenizer applies them (lowest rank first), so the learned
    segmentation is reproduced at encode time.
    """
    b2u = bytes_to_unicode()
    segs = [_symbols(w, b2u) for w in words]
    merges: list[tuple[str, str]] = []
    while True:
        counts: Counter = Counter()
        for s in segs:
            for a, b in zip(s, s[1:]):
                counts[(a, b)] += 1
        if not counts:
            return merges
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        joined = best[0] + best[1]
        new_segs = []
        for s in segs:
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            new_segs.append(out)
        segs = new_segs


def build_vocab(words: list[str] | None = None) -> tuple[dict[str, int], list[tuple[str, str]]]:
    words = vocabulary_words() if words is None else words
    b2u = bytes_to_unicode()
    base = list(b2u.values())
    tokens = base + [c + "</w>" for c in base]
    merges = learn_merges(words)
    for a, b in merges:
        tokens.append(a + b)
    seen: dict[str, int] = {}
    for t in tokens:
        if t not in seen:
            seen[t] = len(seen)
    seen[BOS] = len(seen)
    seen[EOS] = len(seen)
    return seen, merges


def write_tokenizer(folder: str | Path, words: list[str] | None = None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = build_vocab(words)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": MAX_LENGTH,
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
        "add_prefix_space": False,
        "errors": "replace",
        **special,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return folder


def load_tokenizer(folder: str | Path):
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    tok.model_max_length = MAX_LENGTH
    return tok


def vocab_size(folder: str | Path) -> int:
    return len(json.loads((Path(folder) / "vocab.json").read_text(encoding="utf-8")))
