"""``embedding:NAME`` / ``<embedding:NAME>`` textual-inversion tags through the real engine."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio import paths
from studio.engine import embeddings
from studio.engine.errors import InvalidRequest, ModelLoadError, ModelNotFound, UnsafeModelFile
from studio.engine.request import GenerationRequest

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PROMPT = "a red circle on the left"


def _vectors(count: int, width: int, seed: int):
    import torch

    return torch.randn(count, width, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def emb_dir(studio_home) -> Path:
    """This test's embeddings folder with ``style`` (2 vectors, A1111 .safetensors layout) and ``wide`` (64-wide)."""
    from safetensors.torch import save_file

    folder = paths.embeddings_dir()
    assert folder == studio_home / "models" / "embeddings"
    folder.mkdir(parents=True)
    save_file({"emb_params": _vectors(2, 32, 1)}, folder / "style.safetensors")
    save_file({"emb_params": _vectors(1, 64, 2)}, folder / "wide.safetensors")
    return folder


@pytest.fixture(scope="module")
def baseline(engine, tiny_sd_dir) -> np.ndarray:
    return engine.generate(_req(tiny_sd_dir))[0].image


def _req(model, prompt: str = PROMPT, **kw) -> GenerationRequest:
    kw.setdefault("steps", 3)
    kw.setdefault("seed", 21)
    return GenerationRequest(prompt=prompt, model=str(model), **kw)


def _image(engine, model, prompt: str = PROMPT, **kw) -> np.ndarray:
    return engine.generate(_req(model, prompt, **kw))[0].image


def test_names_and_substitution():
    text = "a embedding:style.safetensors cat, <embedding:Ink Wash:1.2> and <ti:style>; emailembedding:x stays"
    assert embeddings.names(text, "embedding:bad-hands") == ["style", "Ink Wash", "bad-hands"]
    out = embeddings.substitute(text, {"style": "<t1> <t1>_1", "Ink Wash": "<t2>"})
    assert out == "a  <t1> <t1>_1  cat,  (<t2>:1.2)  and  <t1> <t1>_1 ; emailembedding:x stays"
    with pytest.raises(InvalidRequest, match="not a weight"):
        embeddings.names("x <embedding:style:strong>")


def test_embedding_changes_pixels_and_leaves_untagged_prompts_alone(engine, tiny_sd_dir, baseline, emb_dir):
    bare = _image(engine, tiny_sd_dir, f"{PROMPT} embedding:style")
    assert not np.array_equal(bare, baseline)
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} <embedding:style>"), bare)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)  # tokens added, untagged prompts unchanged
    # The vectors make the picture, not the private token's text: a copy under another name (another token)
    # gives the same image, other vectors another one.
    from safetensors.torch import save_file

    (emb_dir / "twin.safetensors").write_bytes((emb_dir / "style.safetensors").read_bytes())
    save_file({"emb_params": _vectors(2, 32, 9)}, emb_dir / "other.safetensors")
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} embedding:twin"), bare)
    assert not np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} embedding:other"), bare)
    weighted = _image(engine, tiny_sd_dir, f"{PROMPT} <embedding:style:1.3>")
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} (embedding:style:1.3)"), weighted)
    assert not np.array_equal(weighted, bare)
    plain_negative = _image(engine, tiny_sd_dir, negative_prompt="blurry")
    assert not np.array_equal(_image(engine, tiny_sd_dir, negative_prompt="blurry, embedding:style"), plain_negative)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)


def test_unknown_and_mismatched_embeddings_are_clear_errors(engine, tiny_sd_dir, baseline, emb_dir):
    with pytest.raises(ModelNotFound) as err:
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} embedding:nope"))
    assert "'nope'" in str(err.value) and str(emb_dir) in str(err.value) and "style, wide" in str(err.value)
    with pytest.raises(ModelLoadError, match="'wide' does not fit") as err:
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} embedding:wide"))
    assert "64-wide" in str(err.value) and "32" in str(err.value)
    (emb_dir / "cut.safetensors").write_bytes((emb_dir / "style.safetensors").read_bytes()[:40])
    with pytest.raises(ModelLoadError, match="cut.safetensors is not a valid .safetensors file"):
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} embedding:cut"))
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)
    assert not np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} embedding:style"), baseline)


def test_a1111_pickle_embedding_refused_unless_allowed(engine, tiny_sd_dir, emb_dir):
    import torch
    from safetensors.torch import load_file

    from studio.engine.generator import Engine, EngineSettings

    vectors = load_file(emb_dir / "style.safetensors")["emb_params"]
    torch.save({"string_to_token": {"*": 265}, "string_to_param": {"*": vectors}, "name": "old", "step": 100}, emb_dir / "old.pt")
    with pytest.raises(UnsafeModelFile, match="pickle"):
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} embedding:old"))
    trusting = Engine(EngineSettings(preview_every=0, allow_pickle=True))
    assert np.array_equal(_image(trusting, tiny_sd_dir, f"{PROMPT} embedding:old"), _image(engine, tiny_sd_dir, f"{PROMPT} embedding:style"))


def test_sdxl_takes_clip_l_and_clip_g_vectors(engine, tiny_sdxl_dir, emb_dir):
    from safetensors.torch import save_file

    save_file({"clip_l": _vectors(2, 32, 3), "clip_g": _vectors(2, 32, 4)}, emb_dir / "xl.safetensors")
    plain = _image(engine, tiny_sdxl_dir, steps=2)
    assert not np.array_equal(_image(engine, tiny_sdxl_dir, f"{PROMPT} embedding:xl", steps=2), plain)
    assert np.array_equal(_image(engine, tiny_sdxl_dir, steps=2), plain)
    with pytest.raises(ModelLoadError, match="'style' does not fit"):
        engine.generate(_req(tiny_sdxl_dir, f"{PROMPT} embedding:style", steps=2))


def test_metadata_records_ti_hashes_and_regenerates(engine, tiny_sd_dir, emb_dir):
    from studio.engine.metadata import encode_png, read_metadata

    prompt = f"{PROMPT} embedding:style"
    img = engine.generate(_req(tiny_sd_dir, prompt, negative_prompt="blurry"))[0]
    path = emb_dir.parent / "out.png"
    path.write_bytes(encode_png(img))
    digest = hashlib.sha256((emb_dir / "style.safetensors").read_bytes()).hexdigest()[:12]
    text = Image.open(path).text["parameters"]
    assert text.startswith(prompt + "\n") and f'TI hashes: "style: {digest}"' in text
    md = read_metadata(path)
    assert md.parameters["TI hashes"] == f"style: {digest}"
    assert np.array_equal(engine.generate(GenerationRequest.from_params(md.to_params()))[0].image, img.image)


def test_cli_bad_embedding_is_one_error_line(tiny_sd_dir, emb_dir, tmp_path, capsys):
    from studio.cli.main import main

    code = main(["generate", f"{PROMPT} embedding:missing", "--model", str(tiny_sd_dir), "--steps", "2", "--out", str(tmp_path)])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("studio: error: No embedding named 'missing'")
