"""studio.engine.metadata: the A1111 layout, the studio JSON, PNG/JPEG/WebP round trips, other tools' files."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio import __version__
from studio.engine import metadata as md
from studio.engine.errors import ImageLoadError
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest

DATA = Path(__file__).parent / "data" / "interop"


def make_image(prompt="a red fox in snow", negative="blurry", seed=1234567890, **req) -> GeneratedImage:
    req.setdefault("scheduler", "DPM++ 2M Karras")
    req.setdefault("steps", 30)
    req.setdefault("cfg_scale", 7.0)
    request = GenerationRequest(prompt=prompt, negative_prompt=negative, seed=-1, **req)
    rng = np.random.default_rng(seed % 1000)
    pixels = rng.integers(0, 255, size=(48, 64, 3), dtype=np.uint8)
    return GeneratedImage(pixels, seed=seed, index=0, request=request, model_name="v1-5-pruned-emaonly", model_hash="6ce0161689", elapsed=2.5, extra={"device": "cpu"})


def test_a1111_layout_exact():
    text = md.a1111_parameters(make_image())
    assert text == (
        "a red fox in snow\n"
        "Negative prompt: blurry\n"
        "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 64x48, "
        f"Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: studio {__version__}"
    )


def test_a1111_no_negative_line_and_quoting():
    img = make_image(prompt="line one\nline two", negative="", scheduler="Euler a", cfg_scale=7.5)
    img = GeneratedImage(img.image, img.seed, 0, img.request, "my model, v2: final", "", 1.0)
    text = md.a1111_parameters(img)
    lines = text.split("\n")
    assert lines[:2] == ["line one", "line two"]
    assert "Negative prompt" not in text
    assert 'Model: "my model, v2: final"' in lines[-1]
    assert "Model hash" not in lines[-1]  # empty values are left out
    assert "CFG scale: 7.5" in lines[-1] and "Sampler: Euler a, Schedule type: Automatic" in lines[-1]
    parsed = md.parse_a1111(text)
    assert parsed["prompt"] == "line one\nline two" and parsed["negative_prompt"] == ""
    assert parsed["Model"] == "my model, v2: final"


def test_a1111_img2img_and_inpaint_keys_in_order():
    init = np.zeros((64, 64, 3), np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[10:20, 10:20] = 255
    req = GenerationRequest(prompt="p", mode="inpaint", init_image=init, mask=mask, strength=0.45, inpaint_area="only_masked", inpaint_padding=48, mask_blur=6, seed=5)
    img = GeneratedImage(init, 5, 0, req, "m", "h", 1.0)
    last = md.a1111_parameters(img).split("\n")[-1]
    keys = [pair.split(":")[0] for pair in last.split(", ")]
    assert keys == ["Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model", "Denoising strength", "Mask blur", "Inpaint area", "Masked area padding", "Masked content", "Version"]
    assert "Denoising strength: 0.45" in last and "Inpaint area: Only masked" in last and "Masked area padding: 48" in last


def test_parse_a1111_needs_three_pairs_on_last_line():
    assert md.parse_a1111("a cat: cute\nSteps: 20") == {"prompt": "a cat: cute\nSteps: 20", "negative_prompt": ""}
    parsed = md.parse_a1111('x\nSteps: 20, Sampler: Euler, Lora hashes: "a: 1, b: 2"')
    assert parsed["Lora hashes"] == "a: 1, b: 2" and parsed["Steps"] == "20" and parsed["prompt"] == "x"


def test_studio_json_reproduces_request():
    img = make_image()
    data = md.studio_metadata(img)
    assert data["params"]["seed"] == 1234567890 and data["model_hash"] == "6ce0161689"
    assert data["version"] == f"studio {__version__}" and data["extra"] == {"device": "cpu"}
    again = GenerationRequest.from_params(data["params"])
    assert again.seed == 1234567890 and again.scheduler == "DPM++ 2M Karras" and again.prompt == img.request.prompt
    json.dumps(data)  # JSON-ready


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_round_trip_each_format(tmp_path, fmt):
    img = make_image(prompt="猫と寿司 🍣, \"quoted\", colon: yes", negative="ugly\nsecond line")
    data = md.encode_image(img, fmt, md.a1111_parameters(img), md.studio_metadata(img))
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(data)
    got = md.read_metadata(path)
    assert got.source == "studio"
    assert got.prompt == img.request.prompt and got.negative_prompt == "ugly\nsecond line"
    assert (got.seed, got.steps, got.cfg_scale, got.scheduler) == (1234567890, 30, 7.0, "DPM++ 2M Karras")
    assert (got.width, got.height, got.model, got.model_hash) == (64, 48, "v1-5-pruned-emaonly", "6ce0161689")
    assert got.studio == md.studio_metadata(img)
    # the A1111 text is there for other tools too
    assert md.parse_a1111(got.raw["parameters"])["Seed"] == "1234567890"
    if fmt == "png":
        assert np.array_equal(np.asarray(Image.open(path)), img.image)


def test_png_uses_text_or_itxt(tmp_path):
    latin = md.encode_png(make_image(prompt="café au lait"))
    non_latin = md.encode_png(make_image(prompt="ラテ"))
    assert b"tEXtparameters" in latin and b"iTXtparameters" not in latin
    assert b"iTXtparameters" in non_latin


def test_strip_removes_everything(tmp_path):
    img = make_image()
    for fmt in ("png", "jpeg", "webp"):
        path = tmp_path / f"s.{fmt}"
        path.write_bytes(md.encode_image(img, fmt, md.a1111_parameters(img), md.studio_metadata(img), strip=True))
        got = md.read_metadata(path)
        assert got.source == "unknown" and got.prompt == "" and got.raw == {}
        with Image.open(path) as im:
            assert "exif" not in im.info and "xmp" not in im.info and not getattr(im, "text", {})


@pytest.mark.parametrize(
    "name, source, prompt, negative, seed, steps, cfg, scheduler, size, model",
    [
        ("a1111.png", "a1111", "masterpiece, a lighthouse on a cliff at dusk, (dramatic clouds:1.2)", "lowres, blurry, watermark", 3141592653, 28, 6.5, "DPM++ 2M Karras", (96, 64), "v1-5-pruned-emaonly"),
        ("a1111.jpg", "a1111", "masterpiece, a lighthouse on a cliff at dusk, (dramatic clouds:1.2)", "lowres, blurry, watermark", 3141592653, 28, 6.5, "DPM++ 2M Karras", (96, 64), "v1-5-pruned-emaonly"),
        ("a1111_unicode.png", "a1111", "寿司の上に座る猫, 🍣 kawaii", "ugly", 42, 20, 7.0, "Euler a", (64, 64), "anything-v5"),
        ("forge.webp", "a1111", "portrait of an astronaut cat", "", 777, 25, 3.5, "Euler", (64, 96), "flux1-dev-fp8"),
        ("comfyui.png", "comfyui", "beautiful scenery nature glass bottle landscape, purple galaxy bottle", "text, watermark", 156680208700286, 20, 8.0, "DPM++ 2M Karras", (1024, 768), "sd_xl_base_1.0"),
        ("invokeai.png", "invokeai", "a cozy cabin in a snowy forest, warm light", "people", 1234567, 30, 7.5, "DPM++ 2M Karras", (64, 64), "Juggernaut XL v9"),
    ],
)
def test_other_tools(name, source, prompt, negative, seed, steps, cfg, scheduler, size, model):
    got = md.read_metadata(DATA / name)
    assert got.source == source
    assert got.prompt == prompt and got.negative_prompt == negative
    assert (got.seed, got.steps, got.cfg_scale, got.scheduler) == (seed, steps, cfg, scheduler)
    assert (got.width, got.height) == size and got.model == model
    out = got.to_json()
    for key in ("prompt", "negative_prompt", "seed", "steps", "cfg_scale", "sampler", "width", "height", "model", "source"):
        assert key in out
    json.dumps(out)


def test_a1111_extra_pairs_kept():
    got = md.read_metadata(DATA / "a1111.png")
    assert got.parameters["Lora hashes"] == "detail: 1a2b3c, style: 4d5e6f"
    assert got.parameters["Version"] == "v1.10.1"


def test_foreign_seed_out_of_range_not_reused():
    params = md.read_metadata(DATA / "comfyui.png").to_params()
    assert "seed" not in params
    GenerationRequest.from_params(params)  # valid


def test_plain_image_is_unknown():
    got = md.read_metadata(DATA / "plain.png")
    assert got.source == "unknown" and got.seed is None and (got.width, got.height) == (32, 32)


def test_broken_files_raise_one_line(tmp_path):
    cases = {
        "empty.png": b"",
        "text.png": b"hello, not an image",
        "truncated.png": md.encode_png(make_image())[:200],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageLoadError) as err:
            md.read_metadata(tmp_path / name, verify=True)
        assert "\n" not in str(err.value) and name in str(err.value)
    with pytest.raises(ImageLoadError):
        md.read_metadata(tmp_path / "missing.png")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def test_decompression_bomb_text_read_pixels_refused(tmp_path):
    # A PNG header claiming 100000 x 100000 pixels: its text is read without decoding a pixel,
    # and decoding it (verify) is refused before it starts.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    text = _chunk(b"tEXt", b"parameters\0a cat\nSteps: 5, Sampler: Euler, Seed: 9")
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + text + _chunk(b"IDAT", zlib.compress(b"\0" * 100)) + _chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(data)
    got = md.read_metadata(tmp_path / "bomb.png")
    assert (got.prompt, got.seed, got.width, got.height) == ("a cat", 9, 100_000, 100_000)
    with pytest.raises(ImageLoadError, match="too large"):
        md.read_metadata(tmp_path / "bomb.png", verify=True)


def test_oversized_text_chunk_refused(tmp_path):
    # A zTXt chunk that inflates past Pillow's MAX_TEXT_CHUNK.
    bomb = zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 10))
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    png = buf.getvalue()
    iend = png.rindex(b"IEND") - 4
    data = png[:33] + _chunk(b"zTXt", b"parameters\0\0" + bomb) + png[33:iend] + png[iend:]
    (tmp_path / "ztxt.png").write_bytes(data)
    got = md.read_metadata(tmp_path / "ztxt.png")  # the chunk is skipped with a note, the rest is read
    assert "parameters" not in got.raw and got.prompt == "" and any("zTXt" in n for n in got.notes)
    with pytest.raises(ImageLoadError):  # Pillow's own limit when the pixels are decoded
        md.read_metadata(tmp_path / "ztxt.png", verify=True)


def test_user_comment_little_endian_also_read(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(md.EXIF_IFD)[md.USER_COMMENT] = b"UNICODE\x00" + "a cat\nSteps: 5, Sampler: Euler, Seed: 9".encode("utf-16-le")
    Image.new("RGB", (8, 8)).save(tmp_path / "le.jpg", exif=exif.tobytes())
    got = md.read_metadata(tmp_path / "le.jpg")
    assert got.prompt == "a cat" and got.seed == 9 and got.source == "a1111"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_reading_metadata_decodes_no_pixels(tmp_path, fmt, monkeypatch):
    img = make_image()
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(md.encode_image(img, fmt, md.a1111_parameters(img), md.studio_metadata(img)))

    def no_decode(*args, **kwargs):
        raise AssertionError("Pillow was asked to open the image")

    monkeypatch.setattr(Image, "open", no_decode)
    got = md.read_metadata(path)
    assert (got.prompt, got.seed, got.width, got.height, got.format) == (img.request.prompt, 1234567890, 64, 48, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt])
