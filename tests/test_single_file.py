"""Offline single-file (.safetensors) import for SD 1.x, SD 2.x and SDXL.

Two halves:

* the bundled family config folders in resources/configs (written by
  tools/make_family_configs.py): tokenizers give the real CLIP ids, component
  configs agree with what diffusers derives from the original LDM/SGM configs,
  and full-size models built from them on the meta device have the real
  parameter counts;
* the success path end to end: tiny pipelines are converted to the original
  single-file layout (tests/ldm_convert.py), loaded back through
  ``studio.engine.models`` with a local family config folder, and must hold
  exactly the original weights and draw exactly the same image. The network
  guard in conftest fails any test that tries to reach the hub.

``STUDIO_FULL_SIZE=1`` adds the same round trip at full size for each family
(random weights; minutes and up to ~15 GB of memory for SDXL).
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ldm_convert import pipeline_to_single_file
from studio import paths
from studio.engine import models
from studio.engine.devices import choose
from studio.engine.errors import ModelLoadError

BUNDLED = Path(__file__).resolve().parent.parent / "resources" / "configs"
ASTRONAUT = "a photograph of an astronaut riding a horse"
ASTRONAUT_IDS = [49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407]

# family -> {tokenizer folder: pad token}
TOKENIZERS = {
    "sd1": {"tokenizer": "<|endoftext|>"},
    "sd2": {"tokenizer": "!"},
    "sdxl": {"tokenizer": "<|endoftext|>", "tokenizer_2": "!"},
}

# -- bundled configs ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(TOKENIZERS))
def test_bundled_tokenizers_give_the_real_clip_ids(family):
    from transformers import CLIPTokenizer

    for sub, pad in TOKENIZERS[family].items():
        tok = CLIPTokenizer.from_pretrained(BUNDLED / family / sub, local_files_only=True)
        assert len(tok) == 49408
        assert tok(ASTRONAUT).input_ids == ASTRONAUT_IDS
        assert tok.bos_token == "<|startoftext|>" and tok.eos_token == "<|endoftext|>"
        assert tok.pad_token == pad and tok.model_max_length == 77
        padded = tok("a cat", padding="max_length", max_length=8).input_ids
        assert padded[:4] == [49406, 320, 2368, 49407]
        assert padded[4:] == [tok.convert_tokens_to_ids(pad)] * 4
        merges = (BUNDLED / family / sub / "merges.txt").read_text(encoding="utf-8").splitlines()
        assert merges[0] == "#version: 0.2" and len(merges) == 1 + 48894


# The original model configs' network and autoencoder parameters, as published:
#   sd1  CompVis/stable-diffusion configs/stable-diffusion/v1-inference.yaml
#   sd2  Stability-AI/generative-models configs/inference/sd_2_1_768.yaml
#   sdxl Stability-AI/generative-models configs/inference/sd_xl_base.yaml
_DDCONFIG = {"ch": 128, "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "in_channels": 3, "out_ch": 3, "z_channels": 4}
ORIGINAL = {
    "sd1": (512, 0.18215, {
        "in_channels": 4, "out_channels": 4, "model_channels": 320, "attention_resolutions": [4, 2, 1],
        "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4], "num_heads": 8, "transformer_depth": 1, "context_dim": 768,
    }),
    "sd2": (768, 0.18215, {
        "in_channels": 4, "out_channels": 4, "model_channels": 320, "attention_resolutions": [4, 2, 1],
        "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4], "num_head_channels": 64, "use_linear_in_transformer": True,
        "transformer_depth": 1, "context_dim": 1024,
    }),
    "sdxl": (1024, 0.13025, {
        "adm_in_channels": 2816, "num_classes": "sequential", "in_channels": 4, "out_channels": 4,
        "model_channels": 320, "attention_resolutions": [4, 2], "num_res_blocks": 2, "channel_mult": [1, 2, 4],
        "num_head_channels": 64, "use_linear_in_transformer": True, "transformer_depth": [1, 2, 10], "context_dim": 2048,
    }),
}


def _effective(cls, config: dict) -> dict:
    """A component config with the class defaults filled in for keys the file leaves out."""
    defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items() if p.default is not p.empty}
    merged = {**defaults, **{k: v for k, v in config.items() if not k.startswith("_")}}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in merged.items()}


@pytest.mark.parametrize("family", sorted(ORIGINAL))
def test_bundled_unet_and_vae_configs_match_the_original_model_configs(family):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import (
        create_unet_diffusers_config_from_ldm,
        create_vae_diffusers_config_from_ldm,
    )

    image_size, scale_factor, unet_params = ORIGINAL[family]
    original = {"model": {"params": {
        "scale_factor": scale_factor,
        "network_config": {"params": unet_params},
        "first_stage_config": {"params": {"ddconfig": _DDCONFIG}},
    }}}
    want_unet = create_unet_diffusers_config_from_ldm(original, {}, image_size=image_size)
    have_unet = _effective(UNet2DConditionModel, UNet2DConditionModel.load_config(BUNDLED / family, subfolder="unet"))
    for key, value in want_unet.items():
        assert have_unet[key] == (list(value) if isinstance(value, tuple) else value), (family, key)
    want_vae = create_vae_diffusers_config_from_ldm(original, {}, image_size=image_size)
    have_vae = _effective(AutoencoderKL, AutoencoderKL.load_config(BUNDLED / family, subfolder="vae"))
    for key, value in want_vae.items():
        assert have_vae[key] == value, (family, key)


def test_bundled_configs_hold_the_known_family_values():
    def load(family, rel):
        return json.loads((BUNDLED / family / rel).read_text(encoding="utf-8"))

    assert load("sd1", "unet/config.json")["cross_attention_dim"] == 768
    assert load("sd1", "text_encoder/config.json")["hidden_act"] == "quick_gelu"
    assert load("sd1", "scheduler/scheduler_config.json").get("prediction_type", "epsilon") == "epsilon"
    sd2_unet = load("sd2", "unet/config.json")
    assert sd2_unet["attention_head_dim"] == [5, 10, 20, 20] and sd2_unet["use_linear_projection"] is True
    assert sd2_unet["cross_attention_dim"] == 1024 and sd2_unet["sample_size"] == 96 and sd2_unet["upcast_attention"] is True
    assert load("sd2", "scheduler/scheduler_config.json")["prediction_type"] == "v_prediction"
    sd2_text = load("sd2", "text_encoder/config.json")
    assert (sd2_text["hidden_size"], sd2_text["num_hidden_layers"], sd2_text["hidden_act"]) == (1024, 23, "gelu")
    xl_unet = load("sdxl", "unet/config.json")
    assert xl_unet["addition_embed_type"] == "text_time" and xl_unet["addition_time_embed_dim"] == 256
    assert xl_unet["projection_class_embeddings_input_dim"] == 2816 and xl_unet["cross_attention_dim"] == 2048
    assert load("sdxl", "vae/config.json")["scaling_factor"] == 0.13025
    xl_text2 = load("sdxl", "text_encoder_2/config.json")
    assert (xl_text2["hidden_size"], xl_text2["num_hidden_layers"], xl_text2["projection_dim"]) == (1280, 32, 1280)
    assert load("sdxl", "model_index.json")["text_encoder_2"] == ["transformers", "CLIPTextModelWithProjection"]
    for family in ("sd1", "sd2"):
        index = load(family, "model_index.json")
        assert index["safety_checker"] == [None, None] and index["requires_safety_checker"] is False


# Parameter counts of the published models (UNet, VAE, text encoders).
PARAMS = {
    "sd1": {"unet": 859_520_964, "vae": 83_653_863, "text_encoder": 123_060_480},
    "sd2": {"unet": 865_910_724, "vae": 83_653_863, "text_encoder": 340_387_840},
    "sdxl": {"unet": 2_567_463_684, "vae": 83_653_863, "text_encoder": 123_060_480, "text_encoder_2": 694_659_840},
}


@pytest.mark.parametrize("family", sorted(PARAMS))
def test_bundled_configs_build_full_size_models_of_the_real_size(family):
    """Instantiated on the meta device: shapes only, no memory for weights."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    folder = BUNDLED / family
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    built = {}
    with init_empty_weights():
        built["unet"] = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder, subfolder="unet"))
        built["vae"] = AutoencoderKL.from_config(AutoencoderKL.load_config(folder, subfolder="vae"))
        for sub in ("text_encoder", "text_encoder_2"):
            if sub in index:
                cls = {"CLIPTextModel": CLIPTextModel, "CLIPTextModelWithProjection": CLIPTextModelWithProjection}[index[sub][1]]
                built[sub] = cls(CLIPTextConfig.from_pretrained(folder, subfolder=sub, local_files_only=True))
    counts = {name: sum(p.numel() for p in module.parameters()) for name, module in built.items()}
    assert counts == PARAMS[family]


def test_committed_folders_are_the_generator_output():
    """resources/configs is data written by tools/make_family_configs.py: the two must not drift."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_family_configs", BUNDLED.parent.parent / "tools" / "make_family_configs.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for family, (files, tokenizers) in tool.FAMILIES.items():
        expected = set(files) | {f"{sub}/{name}" for sub in tokenizers for name in
                                 ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")}
        present = {p.relative_to(BUNDLED / family).as_posix() for p in (BUNDLED / family).rglob("*") if p.is_file()}
        assert present == expected, family
        for rel, data in files.items():
            assert json.loads((BUNDLED / family / rel).read_text(encoding="utf-8")) == data, (family, rel)
        for sub, pad in tokenizers.items():
            folder = BUNDLED / family / sub
            merges = folder.joinpath("merges.txt").read_text(encoding="utf-8").splitlines()[1:]
            assert json.loads(folder.joinpath("vocab.json").read_text(encoding="utf-8")) == tool.build_vocab(merges)
            assert json.loads(folder.joinpath("tokenizer_config.json").read_text(encoding="utf-8"))["pad_token"] == pad


def test_bundled_folders_are_what_family_config_dir_finds():
    for family in ("sd1", "sd2", "sdxl"):
        assert models.family_config_dir(family) == paths.resources_dir() / "configs" / family


# -- single-file round trips -------------------------------------------------------------------


def _config_copy(pipeline_dir: Path, family: str) -> Path:
    """The pipeline's own folder minus weights, where the loader looks for a user's family config."""
    target = paths.models_dir() / "configs" / family
    shutil.copytree(pipeline_dir, target, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    return target


def _assert_same_weights(ref, pipe, names):
    for name in names:
        want, have = getattr(ref, name).state_dict(), getattr(pipe, name).state_dict()
        assert set(have) == set(want), name
        for key, tensor in want.items():
            assert torch.equal(have[key], tensor), f"{name}.{key}"


def _generate(model: str):
    from studio.engine.generator import Engine
    from studio.engine.request import GenerationRequest

    return Engine().generate(GenerationRequest(model=model, prompt="a red circle", steps=2, seed=7))[0]


def _round_trip(tmp_path, pipeline_dir, family, layout="openai"):
    from diffusers import DiffusionPipeline

    ref = DiffusionPipeline.from_pretrained(pipeline_dir, local_files_only=True)
    single = pipeline_to_single_file(ref, tmp_path / f"tiny-{family}.safetensors", text_encoder_layout=layout)
    assert models.single_file_family(single) == family
    _config_copy(pipeline_dir, family)
    source = models.resolve(str(single))
    assert source.kind == "single_file" and source.name == f"tiny-{family}"
    pipe, info = models.load(source, choose("cpu", "float32"))
    return ref, single, pipe, info


@pytest.mark.parametrize("family, layout", [("sd1", "openai"), ("sd2", "openclip")])
def test_sd_single_file_loads_offline_with_the_original_weights(tmp_path, tiny_sd_dir, family, layout):
    ref, single, pipe, info = _round_trip(tmp_path, tiny_sd_dir, family, layout)
    assert type(pipe).__name__ == "StableDiffusionPipeline"
    _assert_same_weights(ref, pipe, ["unet", "vae", "text_encoder"])
    assert dict(pipe.scheduler.config) == dict(ref.scheduler.config)
    assert info.kind == "single_file" and len(info.hash) == 10
    assert (info.native_width, info.native_height) == (64, 64)
    from_file = _generate(str(single))
    assert from_file.image.shape == (64, 64, 3) and from_file.image.std() > 0
    assert np.array_equal(from_file.image, _generate(str(tiny_sd_dir)).image)


@pytest.fixture(scope="module")
def tiny_sdxl_two_widths(tmp_path_factory) -> Path:
    """A tiny SDXL whose two text encoders differ in width, as in the real model (768 and 1280).

    tests/tiny_models.build_tiny_sdxl gives both encoders the same width; from a
    single file diffusers then cannot tell them apart and loads the first one's
    weights into the second.
    """
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from tiny_models import _clip_config, _tiny_vae, write_char_tokenizer

    folder = tmp_path_factory.mktemp("models") / "tiny-sdxl-2w"
    torch.manual_seed(0)
    width_2, projection = 48, 16
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * 8 + projection, cross_attention_dim=32 + width_2, norm_num_groups=8,
    )
    text_encoder_2 = CLIPTextModelWithProjection(CLIPTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=width_2, intermediate_size=37,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=200, max_position_embeddings=77,
        projection_dim=projection,
    ))
    tok_dir = tmp_path_factory.mktemp("tok")
    write_char_tokenizer(tok_dir)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir, local_files_only=True)
    pipe = StableDiffusionXLPipeline(
        unet=unet, vae=_tiny_vae(), text_encoder=CLIPTextModel(_clip_config(projection_dim=32)),
        text_encoder_2=text_encoder_2, tokenizer=tokenizer, tokenizer_2=tokenizer,
        scheduler=EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                         num_train_timesteps=1000, steps_offset=1),
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def test_sdxl_single_file_loads_offline_with_the_original_weights(tmp_path, tiny_sdxl_two_widths):
    ref, single, pipe, info = _round_trip(tmp_path, tiny_sdxl_two_widths, "sdxl")
    assert type(pipe).__name__ == "StableDiffusionXLPipeline"
    _assert_same_weights(ref, pipe, ["unet", "vae", "text_encoder", "text_encoder_2"])
    assert info.family == "sdxl" and info.kind == "single_file"
    from_file = _generate(str(single))
    assert from_file.image.shape == (64, 64, 3)
    assert np.array_equal(from_file.image, _generate(str(tiny_sdxl_two_widths)).image)


# -- failures are one clear error, never a download --------------------------------------------


def test_checkpoint_missing_tensors_is_a_clear_error(tmp_path, tiny_sd_dir):
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import load_file, save_file

    ref = StableDiffusionPipeline.from_pretrained(tiny_sd_dir, local_files_only=True)
    single = pipeline_to_single_file(ref, tmp_path / "cut.safetensors")
    state = load_file(str(single))
    del state["model.diffusion_model.out.2.weight"]
    save_file(state, str(single))
    _config_copy(tiny_sd_dir, "sd1")
    with pytest.raises(ModelLoadError) as err:
        models.load(models.resolve(str(single)), choose("cpu", "float32"))
    text = str(err.value)
    assert "cut.safetensors does not fit the SD1 config folder" in text
    assert "tensors the config needs are missing from the file" in text


def test_weights_of_another_size_than_the_bundled_config_are_a_clear_error(tmp_path, tiny_sd_dir):
    """A tiny SD 1.x checkpoint against the real SD 1.5 config: refused offline, not downloaded."""
    from diffusers import StableDiffusionPipeline

    ref = StableDiffusionPipeline.from_pretrained(tiny_sd_dir, local_files_only=True)
    single = pipeline_to_single_file(ref, tmp_path / "small.safetensors")
    with pytest.raises(ModelLoadError) as err:
        models.load(models.resolve(str(single)), choose("cpu", "float32"))
    text = str(err.value)
    assert f"does not fit the SD1 config folder {BUNDLED / 'sd1'}" in text
    assert "embeddings.position_embedding.weight is [77, 32] in the file, the config expects [77, 768]" in text


def test_without_any_family_config_the_error_says_where_to_put_one(tmp_path, tiny_sd_dir, monkeypatch):
    from diffusers import StableDiffusionPipeline

    monkeypatch.setenv("STUDIO_RESOURCES", str(tmp_path / "no-resources"))
    ref = StableDiffusionPipeline.from_pretrained(tiny_sd_dir, local_files_only=True)
    single = pipeline_to_single_file(ref, tmp_path / "lonely.safetensors", text_encoder_layout="openclip")
    with pytest.raises(ModelLoadError) as err:
        models.load(models.resolve(str(single)), choose("cpu", "float32"))
    assert "SD2" in str(err.value) and str(paths.models_dir() / "configs" / "sd2") in str(err.value)


# -- full size (opt-in: minutes and up to ~15 GB of memory) -------------------------------------


def _digest(state_dict) -> dict:
    return {k: (tuple(v.shape), float(v.double().sum()), float(v.double().abs().sum())) for k, v in state_dict.items()}


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("STUDIO_FULL_SIZE") != "1", reason="set STUDIO_FULL_SIZE=1 to import full-size checkpoints")
@pytest.mark.parametrize("family", ["sd1", "sd2", "sdxl"])
def test_full_size_checkpoint_imports_with_the_bundled_config(tmp_path, family):
    """Random fp16 weights in the real architecture, written in the original layout, imported offline."""
    import gc
    from types import SimpleNamespace

    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    folder = BUNDLED / family
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    parts = {}
    with init_empty_weights():
        parts["unet"] = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder, subfolder="unet"))
        parts["vae"] = AutoencoderKL.from_config(AutoencoderKL.load_config(folder, subfolder="vae"))
        for sub in ("text_encoder", "text_encoder_2"):
            if sub in index:
                cls = CLIPTextModelWithProjection if index[sub][1] == "CLIPTextModelWithProjection" else CLIPTextModel
                parts[sub] = cls(CLIPTextConfig.from_pretrained(folder, subfolder=sub, local_files_only=True))
    generator = torch.Generator().manual_seed(0)
    for module in parts.values():
        module.to(torch.float16).to_empty(device="cpu")
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn(p.shape, generator=generator).mul_(0.02))
    layout = "openclip" if family == "sd2" else "openai"
    single = pipeline_to_single_file(
        SimpleNamespace(text_encoder_2=None, **parts), tmp_path / f"full-{family}.safetensors", text_encoder_layout=layout
    )
    want = {name: _digest(module.state_dict()) for name, module in parts.items()}
    del parts
    gc.collect()
    assert models.single_file_family(single) == family
    pipe, info = models.load(models.resolve(str(single)), choose("cpu", "float16"))
    assert info.family == family
    assert info.native_width == {"sd1": 512, "sd2": 768, "sdxl": 1024}[family]
    for name, digest in want.items():
        assert _digest(getattr(pipe, name).state_dict()) == digest, name
    assert pipe.tokenizer(ASTRONAUT).input_ids == ASTRONAUT_IDS
