"""Prompt weighting and long prompts, the way AUTOMATIC1111 reads them.

``(word)`` multiplies attention by 1.1, ``[word]`` divides by 1.1,
``(word:1.3)`` sets it, ``\\(`` escapes, ``BREAK`` starts a new chunk. Prompts
longer than the text encoder's window are split into 75-token chunks that are
encoded separately and concatenated, so nothing is silently cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.engine.errors import InvalidRequest

CHUNK_TOKENS = 75  # 77 minus the start and end tokens
MAX_CHUNKS = 20  # 1,500 tokens: beyond that the prompt is surely a paste error

_ATTENTION = re.compile(
    r"""
\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:
""",
    re.X,
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)


def parse_weights(text: str) -> list[tuple[str, float]]:
    """Split a prompt into (text, weight) pieces; ``("BREAK", -1)`` marks a chunk break."""
    pieces: list[list] = []
    round_open: list[int] = []
    square_open: list[int] = []

    def multiply(start: int, factor: float) -> None:
        for piece in pieces[start:]:
            piece[1] *= factor

    for match in _ATTENTION.finditer(text):
        token, weight = match.group(0), match.group(1)
        if token.startswith("\\"):
            pieces.append([token[1:], 1.0])
        elif token == "(":
            round_open.append(len(pieces))
        elif token == "[":
            square_open.append(len(pieces))
        elif weight is not None and round_open:
            try:
                multiply(round_open.pop(), float(weight))
            except ValueError:
                pieces.append([token, 1.0])
        elif token == ")" and round_open:
            multiply(round_open.pop(), 1.1)
        elif token == "]" and square_open:
            multiply(square_open.pop(), 1 / 1.1)
        else:
            for i, part in enumerate(_BREAK.split(token)):
                if i > 0:
                    pieces.append(["BREAK", -1.0])
                pieces.append([part, 1.0])
    for start in round_open:
        multiply(start, 1.1)
    for start in square_open:
        multiply(start, 1 / 1.1)
    merged: list[list] = []
    for piece in pieces:
        if not piece[0]:
            continue
        if merged and merged[-1][1] == piece[1] and piece[1] != -1.0:
            merged[-1][0] += piece[0]
        else:
            merged.append(piece)
    return [(t, w) for t, w in merged] or [("", 1.0)]


@dataclass(frozen=True)
class TokenChunks:
    """Token ids and weights per 75-token chunk (without start/end tokens)."""

    ids: list[list[int]]
    weights: list[list[float]]

    @property
    def token_count(self) -> int:
        return sum(len(c) for c in self.ids)


def tokenize_weighted(tokenizer, text: str) -> TokenChunks:
    """Tokenize a weighted prompt into chunks of at most 75 tokens."""
    ids: list[list[int]] = [[]]
    weights: list[list[float]] = [[]]
    for piece, weight in parse_weights(text):
        if weight == -1.0:  # BREAK
            if ids[-1]:
                ids.append([])
                weights.append([])
            continue
        tokens = tokenizer(piece, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        for token in tokens:
            if len(ids[-1]) == CHUNK_TOKENS:
                ids.append([])
                weights.append([])
            ids[-1].append(token)
            weights[-1].append(weight)
    if len(ids) > MAX_CHUNKS:
        raise InvalidRequest(
            f"The prompt is {sum(map(len, ids))} tokens long; the limit is {MAX_CHUNKS * CHUNK_TOKENS}. Shorten it."
        )
    return TokenChunks(ids, weights)


def count_tokens(tokenizer, text: str) -> tuple[int, int]:
    """(tokens used, chunks) for a prompt: what the editor's token counter shows."""
    chunks = tokenize_weighted(tokenizer, text)
    return chunks.token_count, len(chunks.ids)


def _pad_chunks(chunks: TokenChunks, count: int) -> TokenChunks:
    ids = chunks.ids + [[] for _ in range(count - len(chunks.ids))]
    weights = chunks.weights + [[] for _ in range(count - len(chunks.weights))]
    return TokenChunks(ids, weights)


def _encode_chunk(tokenizer, text_encoder, ids, weights, device, *, penultimate: bool, want_pooled: bool):
    import torch

    bos = tokenizer.bos_token_id
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    length = CHUNK_TOKENS + 2
    row = [bos] + ids + [eos] + [pad] * (CHUNK_TOKENS - len(ids))
    row_weights = [1.0] + weights + [1.0] * (length - 1 - len(weights))
    input_ids = torch.tensor([row], device=device)
    out = text_encoder(input_ids, output_hidden_states=penultimate)
    hidden = out.hidden_states[-2] if penultimate else out[0]
    pooled = None
    if want_pooled:
        pooled = getattr(out, "text_embeds", None)
        if pooled is None:
            pooled = out[1] if len(out) > 1 else None
    w = torch.tensor(row_weights, device=hidden.device, dtype=hidden.dtype)[None, :, None]
    if not torch.all(w == 1):
        mean_before = hidden.float().mean()
        hidden = hidden * w
        mean_after = hidden.float().mean()
        if mean_after.abs() > 1e-8:
            hidden = hidden * (mean_before / mean_after).to(hidden.dtype)
    return hidden, pooled


def encode_cached(pipe, prompt: str, negative: str, state: str) -> dict:
    """:func:`encode_prompt_pair`, remembered for the last (prompt, negative, ``state``) of ``pipe``:
    live painting re-runs one prompt many times a second. ``state`` names what else shapes the
    embeddings (the LoRAs and embeddings loaded)."""
    key = (prompt, negative, state)
    cached = getattr(pipe, "_studio_prompt_cache", None)
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    embeds = encode_prompt_pair(pipe, prompt, negative)
    object.__setattr__(pipe, "_studio_prompt_cache", (key, embeds))  # not the pipeline's config
    return dict(embeds)


def encode_prompt_pair(pipe, prompt: str, negative: str) -> dict:
    """Embeddings for a diffusers SD/SDXL pipeline call (``prompt_embeds=`` and friends).

    Both prompts get the same number of chunks, so their embeddings can be
    batched for classifier-free guidance.
    """
    import torch

    device = pipe._execution_device
    dtype = pipe.unet.dtype
    encoders = [(pipe.tokenizer, pipe.text_encoder)]
    is_xl = getattr(pipe, "text_encoder_2", None) is not None
    if is_xl:
        encoders = [(t, e) for t, e in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)) if e is not None]
    pos = tokenize_weighted(encoders[0][0], prompt)
    neg = tokenize_weighted(encoders[0][0], negative)
    count = max(len(pos.ids), len(neg.ids))
    result = {}
    with torch.no_grad():
        for name, chunks in (("prompt", pos), ("negative", neg)):
            chunks = _pad_chunks(chunks, count)
            per_encoder = []
            pooled = None
            for k, (tokenizer, encoder) in enumerate(encoders):
                enc_chunks = chunks if k == 0 else _pad_chunks(tokenize_weighted(tokenizer, prompt if name == "prompt" else negative), count)
                hidden_parts = []
                for i, (ids, weights) in enumerate(zip(enc_chunks.ids, enc_chunks.weights)):
                    want_pooled = is_xl and k == len(encoders) - 1 and i == 0
                    hidden, p = _encode_chunk(
                        tokenizer, encoder, ids, weights, device, penultimate=is_xl, want_pooled=want_pooled
                    )
                    hidden_parts.append(hidden)
                    if want_pooled:
                        pooled = p
                per_encoder.append(torch.cat(hidden_parts, dim=1))
            embeds = torch.cat(per_encoder, dim=-1).to(dtype)
            result[name] = (embeds, pooled.to(dtype) if pooled is not None else None)
    kwargs = {"prompt_embeds": result["prompt"][0], "negative_prompt_embeds": result["negative"][0]}
    if is_xl:
        kwargs["pooled_prompt_embeds"] = result["prompt"][1]
        kwargs["negative_pooled_prompt_embeds"] = result["negative"][1]
        if not negative and getattr(pipe.config, "force_zeros_for_empty_prompt", False):
            kwargs["negative_prompt_embeds"] = torch.zeros_like(kwargs["negative_prompt_embeds"])
            kwargs["negative_pooled_prompt_embeds"] = torch.zeros_like(kwargs["negative_pooled_prompt_embeds"])
    return kwargs
