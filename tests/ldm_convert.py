"""Convert a diffusers Stable Diffusion / SDXL pipeline to the original single-file layout.

A port of diffusers' ``scripts/convert_diffusers_to_original_stable_diffusion.py``
and ``scripts/convert_diffusers_to_original_sdxl.py`` for tests: the key tables
are the same, but block indices come from the model's config instead of being
hard-coded for the full-size networks, so tiny test pipelines convert too.

Layouts produced (what CompVis / Stability-AI / AUTOMATIC1111 checkpoints hold):

* UNet            ``model.diffusion_model.``  (input_blocks / middle_block / output_blocks)
* VAE             ``first_stage_model.``      (encoder.down.N.block.M, 1x1-conv attention)
* SD 1.x text     ``cond_stage_model.transformer.text_model.``  (OpenAI CLIP, HF names)
* SD 2.x text     ``cond_stage_model.model.``                   (OpenCLIP: resblocks, fused in_proj)
* SDXL text       ``conditioner.embedders.0.transformer.text_model.`` and
                  ``conditioner.embedders.1.model.`` (OpenCLIP, with text_projection)
"""

from __future__ import annotations

from pathlib import Path

import torch

# -- UNet --------------------------------------------------------------------------------------

_UNET_TOP = {
    # diffusers -> original
    "time_embedding.linear_1.": "time_embed.0.",
    "time_embedding.linear_2.": "time_embed.2.",
    "add_embedding.linear_1.": "label_emb.0.0.",
    "add_embedding.linear_2.": "label_emb.0.2.",
    "conv_in.": "input_blocks.0.0.",
    "conv_norm_out.": "out.0.",
    "conv_out.": "out.2.",
}
_UNET_RESNET = [
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("time_emb_proj", "emb_layers.1"),
    ("conv_shortcut", "skip_connection"),
]


def _unet_prefixes(config) -> list[tuple[str, str]]:
    """(diffusers prefix, original prefix) for every block of a UNet2DConditionModel config."""
    per = config["layers_per_block"] + 1  # input/output blocks per resolution level
    n = len(config["block_out_channels"])
    up_has_attn = ["CrossAttn" in t for t in config["up_block_types"]]
    pairs = []
    for i in range(n):
        for j in range(config["layers_per_block"]):
            pairs.append((f"down_blocks.{i}.resnets.{j}.", f"input_blocks.{per * i + j + 1}.0."))
            pairs.append((f"down_blocks.{i}.attentions.{j}.", f"input_blocks.{per * i + j + 1}.1."))
        if i < n - 1:
            pairs.append((f"down_blocks.{i}.downsamplers.0.conv.", f"input_blocks.{per * (i + 1)}.0.op."))
        for j in range(per):
            pairs.append((f"up_blocks.{i}.resnets.{j}.", f"output_blocks.{per * i + j}.0."))
            pairs.append((f"up_blocks.{i}.attentions.{j}.", f"output_blocks.{per * i + j}.1."))
        if i < n - 1:
            slot = 2 if up_has_attn[i] else 1
            pairs.append((f"up_blocks.{i}.upsamplers.0.", f"output_blocks.{per * i + per - 1}.{slot}."))
    pairs.append(("mid_block.resnets.0.", "middle_block.0."))
    pairs.append(("mid_block.attentions.0.", "middle_block.1."))
    pairs.append(("mid_block.resnets.1.", "middle_block.2."))
    return pairs


def convert_unet(state_dict: dict[str, torch.Tensor], config) -> dict[str, torch.Tensor]:
    prefixes = _unet_prefixes(config)
    out = {}
    for key, value in state_dict.items():
        new = None
        for hf, sd in _UNET_TOP.items():
            if key.startswith(hf):
                new = sd + key[len(hf):]
                break
        if new is None:
            for hf, sd in prefixes:
                if key.startswith(hf):
                    rest = key[len(hf):]
                    if ".resnets." in hf:
                        for hf_part, sd_part in _UNET_RESNET:
                            rest = rest.replace(hf_part, sd_part)
                    new = sd + rest
                    break
        if new is None:
            raise KeyError(f"no original-layout name for UNet key {key}")
        out["model.diffusion_model." + new] = value
    return out


# -- VAE ---------------------------------------------------------------------------------------

_VAE_ATTN = [("group_norm.", "norm."), ("to_q.", "q."), ("to_k.", "k."), ("to_v.", "v."), ("to_out.0.", "proj_out.")]


def convert_vae(state_dict: dict[str, torch.Tensor], config) -> dict[str, torch.Tensor]:
    n = len(config["block_out_channels"])
    pairs = [("conv_norm_out.", "norm_out."), ("mid_block.resnets.0.", "mid.block_1."),
             ("mid_block.resnets.1.", "mid.block_2."), ("mid_block.attentions.0.", "mid.attn_1.")]
    for i in range(n):
        pairs.append((f"encoder.down_blocks.{i}.resnets.", f"encoder.down.{i}.block."))
        pairs.append((f"encoder.down_blocks.{i}.downsamplers.0.", f"encoder.down.{i}.downsample."))
        pairs.append((f"decoder.up_blocks.{i}.resnets.", f"decoder.up.{n - 1 - i}.block."))
        pairs.append((f"decoder.up_blocks.{i}.upsamplers.0.", f"decoder.up.{n - 1 - i}.upsample."))
    out = {}
    for key, value in state_dict.items():
        new = key
        for hf, sd in pairs:
            new = new.replace(hf, sd)
        new = new.replace("conv_shortcut", "nin_shortcut")
        if ".mid.attn_1." in new:
            for hf, sd in _VAE_ATTN:
                new = new.replace(hf, sd)
            if value.ndim == 2:  # linear in diffusers, 1x1 conv in the original
                value = value.reshape(*value.shape, 1, 1)
        out["first_stage_model." + new] = value
    return out


# -- text encoders -----------------------------------------------------------------------------


def _hf_clip_keys(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers >= 5.6 saves CLIPTextModel without the ``text_model.`` level; checkpoints keep it."""
    out = {}
    for key, value in state_dict.items():
        if key.endswith("position_ids"):
            continue
        if not key.startswith(("text_model.", "text_projection.")):
            key = "text_model." + key
        out[key] = value
    return out


def convert_openai_clip(state_dict: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {prefix + k: v for k, v in _hf_clip_keys(state_dict).items()}


_OPENCLIP = [
    ("text_model.encoder.layers.", "transformer.resblocks."),
    ("layer_norm1", "ln_1"),
    ("layer_norm2", "ln_2"),
    (".fc1.", ".c_fc."),
    (".fc2.", ".c_proj."),
    (".self_attn", ".attn"),
    ("text_model.final_layer_norm.", "ln_final."),
    ("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
    ("text_model.embeddings.position_embedding.weight", "positional_embedding"),
]


def convert_openclip(state_dict: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """HF CLIP text model -> OpenCLIP names, with q/k/v fused into in_proj as nn.MultiheadAttention keeps them."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in _hf_clip_keys(state_dict).items():
        if key == "text_projection.weight":
            out["text_projection"] = value.T.contiguous()  # OpenCLIP computes x @ text_projection
            continue
        for part in ("q_proj", "k_proj", "v_proj"):
            tail = f".self_attn.{part}."
            if tail in key:
                stem, kind = key.split(tail)
                qkv.setdefault(f"{stem}|{kind}", {})[part[0]] = value
                break
        else:
            new = key
            for hf, oc in _OPENCLIP:
                new = new.replace(hf, oc)
            out[new] = value
    for stem_kind, parts in qkv.items():
        stem, kind = stem_kind.split("|")
        new = stem
        for hf, oc in _OPENCLIP:
            new = new.replace(hf, oc)
        out[f"{new}.attn.in_proj_{kind}"] = torch.cat([parts["q"], parts["k"], parts["v"]])
    return {prefix + k: v for k, v in out.items()}


# -- whole pipelines ---------------------------------------------------------------------------


def pipeline_to_single_file(pipe, path: Path, *, text_encoder_layout: str = "openai") -> Path:
    """Write ``pipe`` (SD or SDXL) as one original-layout ``.safetensors`` file.

    ``text_encoder_layout`` picks how an SD pipeline's text encoder is stored:
    ``"openai"`` (SD 1.x) or ``"openclip"`` (SD 2.x). SDXL always uses its two
    native layouts.
    """
    from safetensors.torch import save_file

    state: dict[str, torch.Tensor] = {}
    state.update(convert_unet(pipe.unet.state_dict(), pipe.unet.config))
    state.update(convert_vae(pipe.vae.state_dict(), pipe.vae.config))
    if getattr(pipe, "text_encoder_2", None) is not None:
        state.update(convert_openai_clip(pipe.text_encoder.state_dict(), "conditioner.embedders.0.transformer."))
        state.update(convert_openclip(pipe.text_encoder_2.state_dict(), "conditioner.embedders.1.model."))
    elif text_encoder_layout == "openclip":
        state.update(convert_openclip(pipe.text_encoder.state_dict(), "cond_stage_model.model."))
    elif text_encoder_layout == "openai":
        state.update(convert_openai_clip(pipe.text_encoder.state_dict(), "cond_stage_model.transformer."))
    else:
        raise ValueError(f"unknown text encoder layout {text_encoder_layout!r}")
    save_file({k: v.detach().contiguous() for k, v in state.items()}, str(path))
    return path
