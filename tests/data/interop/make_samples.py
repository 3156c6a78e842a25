"""Build the sample files of other tools in tests/data/interop (run once; the outputs are committed).

Each follows the tool's documented format (see DESIGN.md "Generation metadata"):
- a1111.png: tEXt ``parameters`` in the AUTOMATIC1111 layout
- a1111_unicode.png: the same as iTXt (non-Latin-1 prompt)
- a1111.jpg: the text in EXIF UserComment, "UNICODE\\0" + UTF-16BE (piexif's layout, as A1111 writes it)
- forge.webp: Forge writes WebP the same way as A1111 JPEG
- comfyui.png: ``prompt`` (API graph) and ``workflow`` (UI graph) chunks
- invokeai.png: ``invokeai_metadata`` JSON (InvokeAI 4/5)
- plain.png: no metadata at all
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

HERE = Path(__file__).parent

A1111_TEXT = (
    "masterpiece, a lighthouse on a cliff at dusk, (dramatic clouds:1.2)\n"
    "Negative prompt: lowres, blurry, watermark\n"
    'Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, Size: 96x64, '
    'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "detail: 1a2b3c, style: 4d5e6f", '
    "Version: v1.10.1"
)
A1111_UNICODE = (
    "寿司の上に座る猫, 🍣 kawaii\n"
    "Negative prompt: ugly\n"
    "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, Size: 64x64, "
    "Model hash: abcdef1234, Model: anything-v5, Version: v1.9.0"
)
FORGE_TEXT = (
    "portrait of an astronaut cat\n"
    "Steps: 25, Sampler: Euler, Schedule type: Simple, CFG scale: 3.5, Distilled CFG Scale: 3.5, Seed: 777, "
    "Size: 64x96, Model hash: 0123456789, Model: flux1-dev-fp8, Version: f2.0.1v1.10.1-previous-313"
)

COMFY_PROMPT = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 156680208700286,
            "steps": 20,
            "cfg": 8.0,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "denoise": 1.0,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "beautiful scenery nature glass bottle landscape, purple galaxy bottle", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}
COMFY_WORKFLOW = {"last_node_id": 9, "last_link_id": 9, "nodes": [{"id": 3, "type": "KSampler", "widgets_values": [156680208700286, "fixed", 20, 8, "dpmpp_2m", "karras", 1]}], "links": [], "version": 0.4}

INVOKE_META = {
    "generation_mode": "txt2img",
    "positive_prompt": "a cozy cabin in a snowy forest, warm light",
    "negative_prompt": "people",
    "width": 64,
    "height": 64,
    "seed": 1234567,
    "rand_device": "cpu",
    "cfg_scale": 7.5,
    "cfg_rescale_multiplier": 0,
    "steps": 30,
    "scheduler": "dpmpp_2m_k",
    "model": {"key": "3e6b2f", "hash": "blake3:deadbeef", "name": "Juggernaut XL v9", "base": "sdxl", "type": "main"},
    "app_version": "5.3.0",
}


def pixels(w: int, h: int, hue: int) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), np.full_like(x, hue)], axis=2)
    return Image.fromarray(arr.astype(np.uint8))


def user_comment_exif(text: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-be")
    return exif.tobytes()


def main() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT)
    pixels(96, 64, 40).save(HERE / "a1111.png", pnginfo=info)

    info = PngImagePlugin.PngInfo()
    info.add_itxt("parameters", A1111_UNICODE)
    pixels(64, 64, 90).save(HERE / "a1111_unicode.png", pnginfo=info)

    pixels(96, 64, 140).save(HERE / "a1111.jpg", quality=90, exif=user_comment_exif(A1111_TEXT))
    pixels(64, 96, 200).save(HERE / "forge.webp", quality=90, exif=user_comment_exif(FORGE_TEXT))

    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps(COMFY_PROMPT))
    info.add_text("workflow", json.dumps(COMFY_WORKFLOW))
    pixels(64, 48, 10).save(HERE / "comfyui.png", pnginfo=info)

    info = PngImagePlugin.PngInfo()
    info.add_text("invokeai_metadata", json.dumps(INVOKE_META))
    pixels(64, 64, 250).save(HERE / "invokeai.png", pnginfo=info)

    pixels(32, 32, 128).save(HERE / "plain.png")


if __name__ == "__main__":
    main()
