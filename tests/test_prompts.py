"""Prompt weights and long prompts: parsed like AUTOMATIC1111, chunked instead of cut."""

from __future__ import annotations

import pytest

from studio.engine.errors import InvalidRequest
from studio.engine.prompts import CHUNK_TOKENS, count_tokens, parse_weights, tokenize_weighted


def test_parse_weights_syntax():
    assert parse_weights("a (red:1.5) cat") == [("a ", 1.0), ("red", 1.5), (" cat", 1.0)]
    pieces = dict(parse_weights("(big) [small] ((huge))"))
    assert pieces["big"] == pytest.approx(1.1)
    assert pieces["small"] == pytest.approx(1 / 1.1)
    assert pieces["huge"] == pytest.approx(1.21)
    assert parse_weights(r"\(literal\)") == [("(literal)", 1.0)]
    assert ("BREAK", -1.0) in parse_weights("sky BREAK sea")
    assert parse_weights("(unclosed") == [("unclosed", pytest.approx(1.1))]


@pytest.fixture(scope="module")
def tokenizer(tiny_sd_dir):
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(tiny_sd_dir / "tokenizer", local_files_only=True)


def test_long_prompt_is_chunked_not_cut(tokenizer):
    text = "abcd " * 100  # the tiny tokenizer spells words: 400 tokens
    chunks = tokenize_weighted(tokenizer, text)
    assert chunks.token_count == 400
    assert [len(c) for c in chunks.ids] == [75, 75, 75, 75, 75, 25]
    assert count_tokens(tokenizer, text) == (400, 6)


def test_break_starts_a_new_chunk(tokenizer):
    chunks = tokenize_weighted(tokenizer, "ab BREAK cd")
    assert len(chunks.ids) == 2


def test_absurdly_long_prompt_is_refused(tokenizer):
    with pytest.raises(InvalidRequest, match="tokens long"):
        tokenize_weighted(tokenizer, "ab " * 2000)


def test_embeddings_cover_every_chunk_and_weights_matter(tiny_sd_dir):
    from diffusers import StableDiffusionPipeline

    from studio.engine.prompts import encode_prompt_pair

    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd_dir, local_files_only=True)
    long = "abcd " * 100
    out = encode_prompt_pair(pipe, long, "")
    assert out["prompt_embeds"].shape[1] == 6 * (CHUNK_TOKENS + 2)
    assert out["negative_prompt_embeds"].shape == out["prompt_embeds"].shape
    plain = encode_prompt_pair(pipe, "a red cat", "")["prompt_embeds"]
    weighted = encode_prompt_pair(pipe, "a (red:1.6) cat", "")["prompt_embeds"]
    assert plain.shape == weighted.shape
    assert not (plain == weighted).all()


def test_500_token_prompt_generates(tiny_sd_dir):
    from studio.engine.generator import Engine
    from studio.engine.request import GenerationRequest

    prompt = " ".join(["a large red star on the left"] * 25)
    out = Engine().generate(GenerationRequest(prompt=prompt, model=str(tiny_sd_dir), steps=2, seed=1))
    assert out[0].image.shape == (64, 64, 3)
    assert out[0].request.prompt == prompt
