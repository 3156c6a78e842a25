"""Write the bundled diffusers config folders for single-file checkpoint import.

``StableDiffusionPipeline.from_single_file`` needs a diffusers config folder
(model_index.json, each component's config, the tokenizers) to build a pipeline
around an original-layout checkpoint; without ``config=<local folder>`` it
fetches one from the Hugging Face hub, even with ``local_files_only=True``. So
Studio ships one folder per model family, configs only (no weights):

    resources/configs/sd1   runwayml/stable-diffusion-v1-5
    resources/configs/sd2   stabilityai/stable-diffusion-2-1 (768-v: v_prediction)
    resources/configs/sdxl  stabilityai/stable-diffusion-xl-base-1.0

The values below are those repositories' config files. They were cross-checked
against the original LDM/SGM configs (CompVis v1-inference.yaml, Stability-AI
generative-models sd_2_1_768.yaml and sd_xl_base.yaml) through diffusers'
``create_unet_diffusers_config_from_ldm``; tests/test_single_file.py repeats
that check. Two deliberate differences from the hub folders: the safety checker
and its feature extractor are left out of model_index.json (Studio never runs
them), and ``_name_or_path`` entries are dropped.

The CLIP tokenizer files (vocab.json, merges.txt) are rebuilt offline from the
BPE merge list OpenAI published with CLIP (``bpe_simple_vocab_16e6.txt.gz``,
MIT), which the ``open_clip_torch`` wheel on PyPI ships::

    pip download --no-deps open_clip_torch -d /tmp/oc
    unzip -o /tmp/oc/open_clip_torch-*.whl 'open_clip/bpe_simple_vocab_16e6.txt.gz' -d /tmp/oc
    python tools/make_family_configs.py --bpe /tmp/oc/open_clip/bpe_simple_vocab_16e6.txt.gz

The vocabulary is built exactly as CLIP's ``SimpleTokenizer`` builds it, so the
ids match the hub's tokenizer files (49408 entries; "a photograph of an
astronaut riding a horse" -> 49406 320 8853 539 550 18376 6765 320 4558 49407).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.starter.tokenizer import bytes_to_unicode  # noqa: E402  (CLIP's byte -> unicode table)
DEFAULT_OUT = ROOT / "resources" / "configs"

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
VOCAB_SIZE = 49408
N_MERGES = 49152 - 256 - 2  # CLIP's SimpleTokenizer keeps merges[1 : 49152 - 256 - 2 + 1]

# -- component configs --------------------------------------------------------------------------

SD_DOWN = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
SD_UP = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]


def _vae(sample_size: int, **extra) -> dict:
    config = {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.6.0",
        "act_fn": "silu",
        "block_out_channels": [128, 256, 512, 512],
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "in_channels": 3,
        "latent_channels": 4,
        "layers_per_block": 2,
        "norm_num_groups": 32,
        "out_channels": 3,
        "sample_size": sample_size,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
    }
    config.update(extra)
    return config


def _clip_text(hidden: int, layers: int, heads: int, intermediate: int, act: str, projection: int,
               architecture: str = "CLIPTextModel", transformers_version: str = "4.22.0.dev0") -> dict:
    return {
        "architectures": [architecture],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": act,
        "hidden_size": hidden,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 77,
        "model_type": "clip_text_model",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "pad_token_id": 1,
        "projection_dim": projection,
        "torch_dtype": "float32",
        "transformers_version": transformers_version,
        "vocab_size": VOCAB_SIZE,
    }


# OpenAI CLIP ViT-L/14 text tower (SD 1.x, and SDXL's first encoder).
CLIP_L = dict(hidden=768, layers=12, heads=12, intermediate=3072, act="quick_gelu", projection=768)

SD1 = {
    "model_index.json": {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": "0.6.0",
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    },
    "scheduler/scheduler_config.json": {
        "_class_name": "PNDMScheduler",
        "_diffusers_version": "0.6.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "trained_betas": None,
    },
    "unet/config.json": {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.6.0",
        "act_fn": "silu",
        "attention_head_dim": 8,
        "block_out_channels": [320, 640, 1280, 1280],
        "center_input_sample": False,
        "cross_attention_dim": 768,
        "down_block_types": SD_DOWN,
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "out_channels": 4,
        "sample_size": 64,
        "up_block_types": SD_UP,
    },
    "vae/config.json": _vae(512),
    "text_encoder/config.json": _clip_text(**CLIP_L),
}

SD2 = {
    "model_index.json": {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": "0.8.0",
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    },
    "scheduler/scheduler_config.json": {
        "_class_name": "DDIMScheduler",
        "_diffusers_version": "0.8.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "prediction_type": "v_prediction",
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "trained_betas": None,
    },
    "unet/config.json": {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.10.0.dev0",
        "act_fn": "silu",
        "attention_head_dim": [5, 10, 20, 20],
        "block_out_channels": [320, 640, 1280, 1280],
        "center_input_sample": False,
        "cross_attention_dim": 1024,
        "down_block_types": SD_DOWN,
        "downsample_padding": 1,
        "dual_cross_attention": False,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "num_class_embeds": None,
        "only_cross_attention": False,
        "out_channels": 4,
        "sample_size": 96,
        "up_block_types": SD_UP,
        "upcast_attention": True,
        "use_linear_projection": True,
    },
    "vae/config.json": _vae(768),
    # OpenCLIP ViT-H/14 text tower, penultimate layer: diffusers stores 23 of its 24 blocks.
    "text_encoder/config.json": _clip_text(
        hidden=1024, layers=23, heads=16, intermediate=4096, act="gelu", projection=512,
        transformers_version="4.25.0.dev0",
    ),
}

SDXL = {
    "model_index.json": {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": "0.19.0.dev0",
        "force_zeros_for_empty_prompt": True,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    },
    "scheduler/scheduler_config.json": {
        "_class_name": "EulerDiscreteScheduler",
        "_diffusers_version": "0.19.0.dev0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "interpolation_type": "linear",
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "timestep_spacing": "leading",
        "trained_betas": None,
        "use_karras_sigmas": False,
    },
    "unet/config.json": {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.19.0.dev0",
        "act_fn": "silu",
        "addition_embed_type": "text_time",
        "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": 256,
        "attention_head_dim": [5, 10, 20],
        "block_out_channels": [320, 640, 1280],
        "center_input_sample": False,
        "class_embed_type": None,
        "class_embeddings_concat": False,
        "conv_in_kernel": 3,
        "conv_out_kernel": 3,
        "cross_attention_dim": 2048,
        "cross_attention_norm": None,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "dual_cross_attention": False,
        "encoder_hid_dim": None,
        "encoder_hid_dim_type": None,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_only_cross_attention": None,
        "mid_block_scale_factor": 1,
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "num_attention_heads": None,
        "num_class_embeds": None,
        "only_cross_attention": False,
        "out_channels": 4,
        "projection_class_embeddings_input_dim": 2816,
        "resnet_out_scale_factor": 1.0,
        "resnet_skip_time_act": False,
        "resnet_time_scale_shift": "default",
        "sample_size": 128,
        "time_cond_proj_dim": None,
        "time_embedding_act_fn": None,
        "time_embedding_dim": None,
        "time_embedding_type": "positional",
        "timestep_post_act": None,
        "transformer_layers_per_block": [1, 2, 10],
        "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        "upcast_attention": None,
        "use_linear_projection": True,
    },
    "vae/config.json": {
        **_vae(1024, force_upcast=True, scaling_factor=0.13025),
        "_diffusers_version": "0.20.0.dev0",
    },
    "text_encoder/config.json": _clip_text(**CLIP_L, transformers_version="4.32.0.dev0"),
    # OpenCLIP ViT-bigG/14 text tower with its projection.
    "text_encoder_2/config.json": _clip_text(
        hidden=1280, layers=32, heads=20, intermediate=5120, act="gelu", projection=1280,
        architecture="CLIPTextModelWithProjection", transformers_version="4.32.0.dev0",
    ),
}

# tokenizer folder -> pad token. OpenAI CLIP pads with <|endoftext|>; the OpenCLIP
# text encoders (SD 2.x, SDXL's second) were trained with "!" (id 0) as padding.
FAMILIES = {
    "sd1": (SD1, {"tokenizer": EOS}),
    "sd2": (SD2, {"tokenizer": "!"}),
    "sdxl": (SDXL, {"tokenizer": EOS, "tokenizer_2": "!"}),
}

# -- CLIP BPE tokenizer --------------------------------------------------------------------------


def read_merges(bpe_gz: Path) -> list[str]:
    """The merge lines CLIP uses: the file minus its header line, cut to 48894 merges."""
    lines = gzip.open(bpe_gz, "rt", encoding="utf-8").read().split("\n")
    merges = lines[1 : N_MERGES + 1]
    if len(merges) != N_MERGES or any(len(m.split(" ")) != 2 for m in merges):
        raise SystemExit(f"{bpe_gz} does not look like CLIP's bpe_simple_vocab_16e6.txt.gz")
    return merges


def build_vocab(merges: list[str]) -> dict[str, int]:
    """Token -> id, in SimpleTokenizer's order: bytes, bytes + </w>, merges, then the two specials."""
    tokens = list(bytes_to_unicode().values())
    tokens = tokens + [t + "</w>" for t in tokens]
    tokens.extend("".join(m.split(" ")) for m in merges)
    tokens.extend([BOS, EOS])
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != VOCAB_SIZE:
        raise SystemExit(f"built {len(vocab)} tokens, expected {VOCAB_SIZE}")
    return vocab


def _special(token: str) -> dict:
    return {"content": token, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def write_tokenizer(folder: Path, vocab: dict[str, int], merges: list[str], pad: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    _write_json(
        folder / "special_tokens_map.json",
        {"bos_token": _special(BOS), "eos_token": _special(EOS), "pad_token": pad,
         "unk_token": _special(EOS)},
    )
    _write_json(
        folder / "tokenizer_config.json",
        {
            "add_prefix_space": False,
            "bos_token": BOS,
            "clean_up_tokenization_spaces": True,
            "do_lower_case": True,
            "eos_token": EOS,
            "errors": "replace",
            "model_max_length": 77,
            "pad_token": pad,
            "tokenizer_class": "CLIPTokenizer",
            "unk_token": EOS,
        },
    )


# -- output ------------------------------------------------------------------------------------


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _find_bpe() -> Path | None:
    try:
        import open_clip  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    return path if path.is_file() else None


def write_all(out: Path, bpe_gz: Path) -> None:
    merges = read_merges(bpe_gz)
    vocab = build_vocab(merges)
    for family, (files, tokenizers) in FAMILIES.items():
        folder = out / family
        if folder.exists():
            shutil.rmtree(folder)
        for rel, data in files.items():
            _write_json(folder / rel, data)
        for sub, pad in tokenizers.items():
            write_tokenizer(folder / sub, vocab, merges, pad)
        print(f"wrote {folder}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bpe", type=Path, help="path to CLIP's bpe_simple_vocab_16e6.txt.gz (default: from open_clip)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    bpe = args.bpe or _find_bpe()
    if bpe is None or not bpe.is_file():
        print("Need CLIP's bpe_simple_vocab_16e6.txt.gz: pass --bpe (see this script's docstring).", file=sys.stderr)
        return 2
    write_all(args.out, bpe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
