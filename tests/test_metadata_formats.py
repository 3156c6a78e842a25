"""One synthetic file per format branch of the readers (built here from each tool's writer layout)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from studio.engine import metadata as md
from studio.engine.metadata.exif import user_comment_exif
from studio.engine.metadata.fuzz import image_with_exif, png_with


def read(tmp_path, data: bytes, name: str = "x.png") -> md.ImageMetadata:
    path = tmp_path / name
    path.write_bytes(data)
    got = md.read_metadata(path)
    assert not [n for n in got.notes if n.startswith("internal:")], got.notes
    md.format_readable(got)
    json.dumps(got.to_json(), allow_nan=False)
    return got


def exif_ifd0(**tags: str) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag[1:], 16)] = value
    return exif.tobytes()


def comfy_basic(seed=156680208700286, sampler="dpmpp_2m", scheduler="karras") -> dict:
    return {
        "3": {"class_type": "KSampler", "inputs": {"seed": seed, "steps": 20, "cfg": 8.0, "sampler_name": sampler, "scheduler": scheduler, "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl/sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a glass bottle", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    }


def test_comfyui_ksampler_and_max_seed(tmp_path):
    got = read(tmp_path, png_with({"prompt": json.dumps(comfy_basic(seed=2**64 - 1)), "workflow": "{}"}))
    assert got.source == "comfyui" and got.prompt == "a glass bottle" and got.negative_prompt == "text, watermark"
    assert got.seed == 2**64 - 1 and isinstance(got.seed, int)  # the seed widget's maximum, kept exactly
    assert (got.steps, got.cfg_scale, got.scheduler, got.schedule) == (20, 8.0, "DPM++ 2M Karras", "Karras")
    assert (got.width, got.height, got.model) == (1024, 768, "sd_xl_base_1.0")


def test_comfyui_euler_karras_keeps_karras(tmp_path):
    got = read(tmp_path, png_with({"prompt": json.dumps(comfy_basic(sampler="euler", scheduler="karras"))}))
    assert (got.sampler, got.schedule, got.scheduler) == ("euler", "Karras", None)


def test_comfyui_sampler_custom_advanced(tmp_path):
    graph = {
        "13": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["25", 0], "guider": ["22", 0], "sampler": ["16", 0], "sigmas": ["17", 0], "latent_image": ["27", 0]}},
        "25": {"class_type": "RandomNoise", "inputs": {"noise_seed": 987654321}},
        "22": {"class_type": "CFGGuider", "inputs": {"model": ["12", 0], "positive": ["6", 0], "negative": ["33", 0], "cfg": 4.5}},
        "16": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "17": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 28, "denoise": 1.0, "model": ["12", 0]}},
        "27": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "12": {"class_type": "UNETLoader", "inputs": {"unet_name": "sd3.5_large.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox in the snow", "clip": ["11", 0]}},
        "33": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["6", 0]}},
    }
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert (got.prompt, got.seed, got.steps, got.cfg_scale, got.sampler, got.scheduler) == ("a fox in the snow", 987654321, 28, 4.5, "euler", "Euler")
    assert (got.width, got.model) == (1024, "sd3.5_large")


def test_comfyui_sampler_custom_with_basic_guider_and_flux_guidance(tmp_path):
    graph = {
        "1": {"class_type": "SamplerCustom", "inputs": {"add_noise": True, "noise_seed": 42, "cfg": 1.0, "positive": ["2", 0], "negative": ["3", 0], "sampler": ["4", 0], "sigmas": ["5", 0], "latent_image": ["6", 0]}},
        "2": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["3", 0]}},
        "3": {"class_type": "CLIPTextEncodeFlux", "inputs": {"clip_l": "a cat", "t5xxl": "a cat on a mat", "guidance": 3.5}},
        "4": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "dpmpp_2m"}},
        "5": {"class_type": "KarrasScheduler", "inputs": {"steps": 12, "sigma_max": 14.6, "sigma_min": 0.03}},
        "6": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    }
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert (got.prompt, got.seed, got.steps, got.scheduler) == ("a cat on a mat", 42, 12, "DPM++ 2M Karras")


def test_comfyui_area_composition_and_second_pass(tmp_path):
    graph = comfy_basic()
    graph["6"] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["20", 0], "conditioning_2": ["21", 0]}}
    graph["20"] = {"class_type": "ConditioningSetArea", "inputs": {"conditioning": ["22", 0], "width": 512, "height": 512, "x": 0, "y": 0}}
    graph["21"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "landscape"}}
    graph["22"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "night sky"}}
    graph["30"] = {"class_type": "LatentUpscale", "inputs": {"samples": ["3", 0], "width": 2048, "height": 1536}}
    graph["31"] = {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 10, "cfg": 6.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 0.5, "positive": ["32", 0], "negative": ["7", 0], "latent_image": ["30", 0], "model": ["4", 0]}}
    graph["32"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "beautiful landscape, HDR"}}
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    # the first pass is an area composition: the prompt is the one feeding the later single-prompt pass
    assert got.prompt == "beautiful landscape, HDR" and got.seed == 7 and got.denoise == 0.5
    assert got.extra["prompts"] == ["night sky", "landscape"]


def test_comfyui_refiner_chain_reads_the_base_pass(tmp_path):
    graph = comfy_basic()
    graph["10"] = {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "disable", "noise_seed": 0, "steps": 25, "cfg": 8.0, "sampler_name": "euler", "scheduler": "normal", "positive": ["11", 0], "negative": ["7", 0], "latent_image": ["3", 0], "model": ["4", 0]}}
    graph["11"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "refiner words"}}
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert got.prompt == "a glass bottle" and got.seed == 156680208700286 and got.extra["prompts"] == ["refiner words"]


def test_comfyui_fan_out_dag_and_cycle_are_linear(tmp_path):
    # node i combines nodes i-1 and i-2 twice over: 2**40 paths, 42 nodes
    graph = comfy_basic()
    graph["100"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "root"}}
    graph["101"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "second"}}
    for i in range(102, 142):
        graph[str(i)] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": [str(i - 1), 0], "conditioning_2": [str(i - 2), 0]}}
    graph["3"]["inputs"]["positive"] = ["141", 0]
    graph["500"] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["501", 0]}}
    graph["501"] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["500", 0]}}  # a loop
    graph["3"]["inputs"]["negative"] = ["500", 0]
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert got.prompt in ("second, root", "root, second") and got.negative_prompt == ""


def test_comfyui_long_chain_does_not_recurse(tmp_path):
    graph = comfy_basic()
    for i in range(1000, 11000):
        graph[str(i)] = {"class_type": "ConditioningSetTimestepRange", "inputs": {"conditioning": [str(i + 1), 0]}}
    graph["11000"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "deep"}}
    graph["3"]["inputs"]["positive"] = ["1000", 0]
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert got.prompt == "deep"


def test_comfyui_linked_widgets_and_string_concat(tmp_path):
    graph = comfy_basic()
    graph["3"]["inputs"]["seed"] = ["40", 0]
    graph["40"] = {"class_type": "Seed (rgthree)", "inputs": {"seed": 31337}}
    graph["6"]["inputs"]["text"] = ["41", 0]
    graph["41"] = {"class_type": "StringConcatenate", "inputs": {"string_a": ["42", 0], "string_b": "part two"}}
    graph["42"] = {"class_type": "PrimitiveString", "inputs": {"value": "part one "}}
    got = read(tmp_path, png_with({"prompt": json.dumps(graph)}))
    assert got.seed == 31337 and got.prompt == "part one, part two"


@pytest.mark.parametrize("fmt", ["WEBP", "JPEG"])
def test_comfyui_exif_layouts(tmp_path, fmt):
    graph = json.dumps(comfy_basic())
    ext = "webp" if fmt == "WEBP" else "jpg"
    saver = read(tmp_path, image_with_exif(fmt, exif_ifd0(x0110="prompt:" + graph, x010f='workflow:{"nodes": []}')), "a." + ext)
    extended = read(tmp_path, image_with_exif(fmt, exif_ifd0(x010f="Prompt: " + graph, x010e='Workflow: {"nodes": []}')), "b." + ext)
    comment = exif_ifd0(x9286=json.dumps({"prompt": comfy_basic(), "workflow": {"nodes": []}}))
    in_ifd0 = read(tmp_path, image_with_exif(fmt, comment), "c." + ext)
    for got in (saver, extended, in_ifd0):
        assert got.source == "comfyui" and got.prompt == "a glass bottle" and got.seed == 156680208700286
        assert json.loads(got.raw["prompt"]) == comfy_basic()
    assert json.loads(saver.raw["workflow"]) == {"nodes": []}


def test_a1111_euler_a_karras_and_batch_pos(tmp_path):
    text = "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, Schedule type: Karras, CFG scale: 7, Seed: 5, Size: 512x768, Batch size: 4, Batch pos: 1, Denoising strength: 0.3, Lora hashes: \"fox: 1a2b\""
    got = read(tmp_path, png_with({"parameters": text}))
    assert (got.sampler, got.schedule, got.scheduler, got.denoise, got.loras) == ("Euler a", "Karras", None, 0.3, ["fox"])
    rows = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in md.format_readable(got).splitlines()}
    assert rows["Batch pos"] == "1" and rows["Schedule type"] == "Karras"


def test_out_of_range_values_are_unknown(tmp_path):
    text = "a cat\nSteps: 1e308, Sampler: Euler, CFG scale: NaN, Seed: 99999999999999999999999, Size: 128x-1"
    got = read(tmp_path, png_with({"parameters": text}))
    assert (got.steps, got.cfg_scale, got.seed) == (None, None, None)
    assert (got.width, got.height) == (8, 8)  # the file's own size, not "128x-1"
    swarm = {"sui_image_params": {"prompt": "p", "seed": -1, "cfgscale": float("inf"), "steps": 1e308, "width": 128, "height": -1, "model": {"name": "x"}}}
    got = read(tmp_path, png_with({"parameters": json.dumps(swarm)}))
    assert (got.seed, got.cfg_scale, got.steps, got.model) == (None, None, None, None)


def test_wrong_types_and_lone_surrogates(tmp_path):
    data = {"positive_prompt": "a \ud800 cat", "negative_prompt": {"x": 1}, "model": {"name": {"deep": 1}}, "seed": "12", "scheduler": ["list"]}
    got = read(tmp_path, png_with({"invokeai_metadata": json.dumps(data)}))
    assert got.prompt == "a \ufffd cat" and got.negative_prompt == "" and got.model is None and got.seed == 12 and got.sampler is None
    got.prompt.encode("utf-8")


def test_json_is_never_a_prompt(tmp_path):
    for text in ('{"some": "tool", "we": "do not know"}', '{"prompt": {"not": "text"}}', '{"truncated": "jso'):
        got = read(tmp_path, png_with({"parameters": text}))
        assert not got.prompt.startswith("{"), text


def test_swarmui_png_and_utf16le_jpeg(tmp_path):
    data = {"sui_image_params": {"prompt": "a dragon", "negativeprompt": "blurry", "model": "OfficialStableDiffusion/sd_xl_base_1.0", "seed": 42, "steps": 30, "cfgscale": 6.5, "width": 1024, "height": 1024, "sampler": "dpmpp_2m", "scheduler": "karras"}, "sui_models": [{"name": "x.safetensors", "param": "model", "hash": "0xabc"}]}
    png = read(tmp_path, png_with({"parameters": json.dumps(data, indent=2)}))
    le = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x86\x92\x07\0"
    body = b"UNICODE\0" + json.dumps(data).encode("utf-16-le")
    block = le + len(body).to_bytes(4, "little") + (26).to_bytes(4, "little") + b"\0\0\0\0" + body
    jpg = read(tmp_path, image_with_exif("JPEG", block), "s.jpg")
    for got in (png, jpg):
        assert (got.source, got.prompt, got.negative_prompt, got.seed, got.scheduler, got.model, got.model_hash) == ("swarmui", "a dragon", "blurry", 42, "DPM++ 2M Karras", "sd_xl_base_1.0", "0xabc")


def test_fooocus_and_ruined_fooocus(tmp_path):
    fooocus = {"prompt": "a goldfish", "negative_prompt": "", "full_prompt": ["a goldfish, cinematic"], "base_model": "juggernautXL_v8", "seed": "6952411511246973023", "steps": 30, "guidance_scale": 4, "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "resolution": "(768, 1280)", "metadata_scheme": "fooocus", "version": "Fooocus v2.4.3"}
    got = read(tmp_path, png_with({"parameters": json.dumps(fooocus), "fooocus_scheme": "fooocus"}))
    assert (got.source, got.prompt, got.seed, got.width, got.height, got.scheduler, got.model) == ("fooocus", "a goldfish", 6952411511246973023, 768, 1280, "DPM++ 2M SDE Karras", "juggernautXL_v8")
    ruined = {"Prompt": "a lighthouse", "Negative": "fog", "steps": 30, "cfg": 8, "width": 1024, "height": 1024, "seed": 2020, "sampler_name": "euler", "scheduler": "karras", "base_model_name": "wai.safetensors", "software": "RuinedFooocus"}
    got = read(tmp_path, png_with({"parameters": json.dumps(ruined)}))
    assert (got.prompt, got.negative_prompt, got.cfg_scale, got.model, got.schedule) == ("a lighthouse", "fog", 8.0, "wai", "Karras")


def test_novelai_png_and_webp(tmp_path):
    comment = {"prompt": "1girl, hatsune miku", "uc": "lowres", "steps": 28, "scale": 5.0, "seed": 1702945580, "sampler": "k_euler_ancestral", "noise_schedule": "karras", "width": 832, "height": 1216, "v4_prompt": {"caption": {"base_caption": "1girl, hatsune miku", "char_captions": [{"char_caption": "girl, twintails"}]}}}
    png = read(tmp_path, png_with({"Title": "NovelAI generated image", "Description": "1girl, hatsune miku", "Software": "NovelAI", "Source": "NovelAI Diffusion V4.5 4BDE2A90", "Comment": json.dumps(comment)}))
    outer = json.dumps({"Comment": json.dumps(comment), "Software": "NovelAI", "Source": "NovelAI Diffusion V4.5 4BDE2A90"})
    webp = read(tmp_path, image_with_exif("WEBP", b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x92\x86\0\x07" + (8 + len(outer)).to_bytes(4, "big") + (26).to_bytes(4, "big") + b"\0\0\0\0ASCII\0\0\0" + outer.encode()), "n.webp")
    for got in (png, webp):
        assert (got.source, got.prompt, got.negative_prompt, got.seed, got.cfg_scale, got.schedule) == ("novelai", "1girl, hatsune miku", "lowres", 1702945580, 5.0, "Karras")
        assert got.extra["characters"] == ["girl, twintails"] and got.model == "NovelAI Diffusion V4.5 4BDE2A90"


def test_generic_json_from_a_space(tmp_path):
    data = {"prompt": "a house", "negative_prompt": "bad", "resolution": "1024 x 768", "guidance_scale": 5.5, "num_inference_steps": 20, "seed": 19, "sampler": "DPM++ 2M Karras", "Model": "WAI v16"}
    got = read(tmp_path, png_with({"parameters": json.dumps(data)}))
    assert (got.source, got.prompt, got.width, got.height, got.steps, got.scheduler, got.model) == ("json", "a house", 1024, 768, 20, "DPM++ 2M Karras", "WAI v16")


def test_invokeai_v3_v2_and_dream(tmp_path):
    v3 = {"positive_prompt": "a cabin", "negative_prompt": "people", "seed": 1234567, "steps": 30, "cfg_scale": 7.5, "scheduler": "dpmpp_2m_k", "width": 64, "height": 64, "model": {"name": "Juggernaut XL v9", "hash": "blake3:ab"}, "loras": [{"model": {"name": "detail"}, "weight": 0.5}]}
    got = read(tmp_path, png_with({"invokeai_metadata": json.dumps(v3)}))
    assert (got.prompt, got.scheduler, got.model, got.model_hash, got.loras) == ("a cabin", "DPM++ 2M Karras", "Juggernaut XL v9", "blake3:ab", ["detail"])
    v2 = {"model": "stable diffusion", "model_weights": "stable-diffusion-1.5", "model_hash": "cc6cb27103", "image": {"prompt": [{"prompt": "a castle [fog, blurry] at dawn", "weight": 1}], "steps": 50, "cfg_scale": 7.5, "seed": 42, "width": 512, "height": 512, "sampler": "k_lms", "type": "txt2img"}}
    got = read(tmp_path, png_with({"sd-metadata": json.dumps(v2)}))
    assert (got.prompt, got.negative_prompt, got.scheduler, got.model) == ("a castle at dawn", "fog, blurry", "LMS", "stable-diffusion-1.5")
    got = read(tmp_path, png_with({"Dream": '"a woman, \\"freckles\\" [glowing eyes, skinny]" -s 50 -S 2980747362 -W 512 -H 768 -C 5 -A k_euler_a -G 0.9'}))
    assert (got.prompt, got.negative_prompt, got.seed, got.steps, got.width, got.cfg_scale, got.scheduler) == ('a woman, "freckles"', "glowing eyes, skinny", 2980747362, 50, 512, 5.0, "Euler a")


def _drawthings_xmp(data: dict) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<xmp:CreatorTool>Draw Things</xmp:CreatorTool><exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{json.dumps(data).replace("&", "&amp;").replace("<", "&lt;")}</rdf:li></rdf:Alt></exif:UserComment>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def test_draw_things_png_and_jpeg(tmp_path):
    data = {"c": "a <robot> & a cat", "uc": "ugly", "seed": 3, "steps": 20, "scale": 6, "sampler": "DPM++ 2M Karras", "model": "sd_xl_base_1.0_f16.ckpt", "size": "1024x768", "strength": 1}
    png = read(tmp_path, png_with({"XML:com.adobe.xmp": _drawthings_xmp(data)}))
    jpg = read(tmp_path, image_with_exif("JPEG", xmp=_drawthings_xmp(data).encode()), "d.jpg")
    for got in (png, jpg):
        assert (got.source, got.prompt, got.negative_prompt, got.scheduler, got.width, got.height, got.model) == ("drawthings", "a <robot> & a cat", "ugly", "DPM++ 2M Karras", 1024, 768, "sd_xl_base_1.0_f16")


def test_xmp_with_a_dtd_or_unclosed_tags_is_ignored(tmp_path):
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' + _drawthings_xmp({"c": "&b;"})
    assert read(tmp_path, png_with({"XML:com.adobe.xmp": bomb})).source == "unknown"
    unclosed = "<studio:params>" * 8000
    assert read(tmp_path, image_with_exif("WEBP", xmp=unclosed.encode()), "u.webp").source == "unknown"


@pytest.mark.parametrize("spelling", ["request", "labels"])
def test_easy_diffusion_per_key_chunks(tmp_path, spelling):
    keys = {"request": ("prompt", "negative_prompt", "seed", "num_inference_steps", "guidance_scale", "use_stable_diffusion_model", "width", "height", "sampler_name"), "labels": ("Prompt", "Negative Prompt", "Seed", "Steps", "Guidance Scale", "Stable Diffusion model", "Width", "Height", "Sampler")}[spelling]
    values = ("a tree", "snow", "77", "25", "7.5", "models/sd-v1-5.safetensors", "512", "640", "euler_a")
    got = read(tmp_path, png_with(dict(zip(keys, values))))
    assert (got.source, got.prompt, got.negative_prompt, got.seed, got.steps, got.cfg_scale, got.model, got.height) == ("easydiffusion", "a tree", "snow", 77, 25, 7.5, "sd-v1-5", 640)


def test_png_exif_user_comment_and_utf8_text(tmp_path):
    got = read(tmp_path, png_with({}, exif=user_comment_exif("a trainer sample\nSteps: 30, Sampler: DDIM, CFG scale: 7.5, Size: 512x512")))
    assert (got.source, got.prompt, got.steps) == ("a1111", "a trainer sample", 30)
    utf8 = "1girl, #テスト\nSteps: 20, Sampler: Euler, Seed: 1".encode("utf-8")
    buf = png_with({})
    from studio.engine.metadata.fuzz import png_chunk

    data = buf[:33] + png_chunk(b"tEXt", b"parameters\0" + utf8) + buf[33:]
    assert read(tmp_path, data).prompt == "1girl, #テスト"


def test_studio_chunk_with_odd_params(tmp_path):
    for params in ("a string", [1, 2], None, {"mode": [1], "strength": "x", "prompt": 5}):
        got = read(tmp_path, png_with({"studio": json.dumps({"format": "studio", "params": params, "seed": 2**80})}))
        assert got.source == "studio" and got.seed is None


def test_inpaint_listing_has_no_duplicate_lines(tmp_path):
    import numpy as np

    from studio.engine.events import GeneratedImage
    from studio.engine.request import GenerationRequest

    init = np.zeros((64, 64, 3), np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[10:20, 10:20] = 255
    req = GenerationRequest(prompt="p", mode="inpaint", init_image=init, mask=mask, strength=0.45, inpaint_area="only_masked", mask_blur=6, seed=5)
    img = GeneratedImage(init, 5, 0, req, "m", "h", 1.0)
    got = read(tmp_path, md.encode_png(img))
    keys = [line.split(":")[0] for line in md.format_readable(got).splitlines() if not line.startswith(" ")]
    assert len(keys) == len(set(keys)), keys
    assert "Inpaint area" in keys and "Mask blur" in keys and "Denoising strength" in keys


def test_format_readable_never_raises_on_odd_values():
    odd = md.ImageMetadata(prompt="x", parameters={"k": {"v": 1}}, studio={"params": "str", "version": 5}, extra={"prompts": "not a list"}, loras=[1, "a"])
    assert "Prompt" in md.format_readable(odd)
    odd.studio = {"params": [1, 2]}
    md.format_readable(odd)
    assert md.format_readable(md.ImageMetadata()) .startswith("Source")


def test_dynamic_prompt_braces_are_a_prompt(tmp_path):
    got = read(tmp_path, png_with({"parameters": "{red|blue} cat\nSteps: 20, Sampler: Euler, Seed: 1"}))
    assert got.prompt == "{red|blue} cat" and got.source == "a1111"
    got = read(tmp_path, png_with({"parameters": '{\n  "sui_image_params": {"prompt": "cut off'}))
    assert got.prompt == ""


def test_swarmui_legacy_model_tag_and_fooocus_jpeg(tmp_path):
    swarm = json.dumps({"sui_image_params": {"prompt": "old swarm", "seed": 3, "steps": 20}})
    got = read(tmp_path, image_with_exif("JPEG", exif_ifd0(x0110=swarm)), "l.jpg")
    assert (got.source, got.prompt, got.seed) == ("swarmui", "old swarm", 3)
    fooocus = json.dumps({"prompt": "a boat", "negative_prompt": "", "seed": "5", "steps": 30, "guidance_scale": 4, "resolution": "(1024, 1024)"})
    exif = Image.Exif()
    exif[0x0131] = "Fooocus v2.5.0"
    exif.get_ifd(0x8769)[0x9286] = fooocus
    got = read(tmp_path, image_with_exif("JPEG", exif.tobytes()), "f.jpg")
    assert (got.source, got.prompt, got.seed, got.width) == ("fooocus", "a boat", 5, 1024)


def test_a1111_unquoted_json_values_and_a_hostile_line():
    parsed = md.parse_a1111('p\nSteps: 2, Sampler: Euler, Civitai resources: [{"type":"checkpoint","modelName":"WAI, v16"}], Seed: 4')
    assert parsed["Civitai resources"] == '[{"type":"checkpoint","modelName":"WAI, v16"}]' and parsed["Seed"] == "4"
    hostile = "p\n" + "".join(f"k{i}: [, " for i in range(100_000))  # 100,000 unclosed brackets: one pass
    assert md.parse_a1111(hostile)["prompt"] == "p"


def test_comfyui_gligen_box_phrase_is_not_the_prompt(tmp_path):
    graph = comfy_basic()
    graph["6"] = {"class_type": "GLIGENTextBoxApply", "inputs": {"conditioning_to": ["60", 0], "clip": ["4", 1], "text": "a red ball", "width": 64, "height": 64, "x": 0, "y": 0}}
    graph["60"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "a park in summer"}}
    assert read(tmp_path, png_with({"prompt": json.dumps(graph)})).prompt == "a park in summer"
