"""The starter model's offline CLIP tokenizer: build, save, reload, round-trip."""
import json

import pytest

from studio.starter.captions import caption, eval_set, sample_scene
from studio.starter.tokenizer import BOS, EOS, MAX_LENGTH, write_tokenizer


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    from transformers import CLIPTokenizer

    folder = write_tokenizer(tmp_path_factory.mktemp("tok"))
    assert (folder / "vocab.json").exists() and (folder / "merges.txt").exists()
    t = CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    assert t.model_max_length == MAX_LENGTH
    return t


def test_vocab_format(tmp_path):
    folder = write_tokenizer(tmp_path)
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    assert BOS in vocab and EOS in vocab and "red</w>" in vocab and "a" in vocab and "a</w>" in vocab
    assert sorted(vocab.values()) == list(range(len(vocab)))
    assert (folder / "merges.txt").read_text(encoding="utf-8").startswith("#version")


def test_caption_words_are_single_tokens(tok):
    ids = tok("a large red star on the left, yellow to green gradient background").input_ids
    toks = tok.convert_ids_to_tokens(ids)
    assert toks[0] == BOS and toks[-1] == EOS
    assert toks[1:-1] == ["a</w>", "large</w>", "red</w>", "star</w>", "on</w>", "the</w>", "left</w>", ",</w>",
                          "yellow</w>", "to</w>", "green</w>", "gradient</w>", "background</w>"]


def test_round_trip_captions(tok):
    import random
    rng = random.Random(2)
    texts = [c for c, _ in eval_set()[:50]] + [caption(sample_scene(rng), rng) for _ in range(50)]
    for t in texts:
        ids = tok(t).input_ids
        assert len(ids) <= MAX_LENGTH
        norm = " ".join(t.lower().replace(",", " ,").replace(";", " ;").replace(":", " :").replace(".", " .").split())
        assert tok.decode(ids, skip_special_tokens=True) == norm


def test_unknown_words_fall_back_to_characters(tok):
    ids = tok("zebra unicorn").input_ids
    assert tok.eos_token_id not in ids[1:-1] and len(ids) > 4  # byte symbols, not <unk>
    assert tok.decode(ids, skip_special_tokens=True) == "zebra unicorn"


def test_padding_to_77(tok):
    enc = tok(["", "a red circle"], padding="max_length", max_length=MAX_LENGTH, truncation=True)
    assert all(len(x) == MAX_LENGTH for x in enc.input_ids)
    assert enc.input_ids[0][:2] == [tok.bos_token_id, tok.eos_token_id]
