"""Interop: the real files of ../shared/interop read with the reference prompt; the studio's files read by other readers.

The fixture folder lives beside the checkout (never copied in); these tests
skip when it is absent. All reads of the folder run in one child process with
a generous timeout, so a hang fails the test instead of stalling the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine import metadata as md
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest

INTEROP = Path(__file__).resolve().parents[1].parent / "shared" / "interop"
needs_interop = pytest.mark.skipif(not (INTEROP / "expected.json").is_file(), reason="../shared/interop is not beside the checkout")

# The reference readers do not know ImpactWildcardEncode, so they report the face-detailer pass's prompt;
# the studio reports the main pass's prompt and keeps the detailer's in extra["prompts"].
_IN_EXTRA = {"dstools__comfydata__flux_00939_.png"}

_READ_ALL = """
import json, sys
from studio.engine.metadata import format_readable, read_metadata
from studio.engine.errors import ImageLoadError
out = {}
for name in json.load(open(sys.argv[1] + "/expected.json")):
    try:
        m = read_metadata(sys.argv[1] + "/" + name)
        format_readable(m)
        out[name] = {"prompt": m.prompt, "source": m.source, "extra": m.extra, "notes": m.notes, "json": json.dumps(m.to_json(), allow_nan=False)}
    except ImageLoadError as exc:
        out[name] = {"error": str(exc)}
print(json.dumps(out))
"""


def _norm(text: str) -> str:
    return " ".join(text.split())


def _candidates(prompts: list[str]) -> set[str]:
    """The reference prompts, also with the reference readers' Latin-1 misreading of UTF-8 undone."""
    out = set()
    for p in prompts:
        out.add(_norm(p))
        try:
            out.add(_norm(p.encode("latin-1").decode("utf-8")))
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return out


@pytest.fixture(scope="module")
def interop_results():
    if not (INTEROP / "expected.json").is_file():
        pytest.skip("../shared/interop is not beside the checkout")
    done = subprocess.run([sys.executable, "-c", _READ_ALL, str(INTEROP)], capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), json.loads((INTEROP / "expected.json").read_text(encoding="utf-8"))


@needs_interop
def test_every_reference_prompt_is_read(interop_results):
    results, expected = interop_results
    wrong = []
    for name, want in expected.items():
        got = results[name]
        assert "error" not in got, f"{name}: {got.get('error')}"
        assert not [n for n in got["notes"] if n.startswith("internal:")], name
        if not want["prompts"]:
            continue
        if name in _IN_EXTRA:
            assert _candidates(want["prompts"]) & {_norm(p) for p in got["extra"].get("prompts", [])}, name
            assert got["prompt"]
        elif _norm(got["prompt"]) not in _candidates(want["prompts"]):
            wrong.append((name, got["prompt"][:80], want["prompts"][0][:80]))
    assert not wrong, wrong


@needs_interop
def test_no_json_ever_shown_as_a_prompt(interop_results):
    results, _ = interop_results
    for name, got in results.items():
        assert not got.get("prompt", "").lstrip().startswith('{"'), name
        json.loads(got["json"])  # strict JSON: no NaN / Infinity


def _image(mode: str = "txt2img", prompt: str = "a red fox in snow", batch: int = 1, index: int = 0) -> GeneratedImage:
    size = (48, 64)
    kwargs: dict = {}
    if mode != "txt2img":
        kwargs.update(init_image=np.zeros((*size, 3), np.uint8), strength=0.45)
    if mode == "inpaint":
        mask = np.zeros(size, np.uint8)
        mask[10:20, 10:20] = 255
        kwargs.update(mask=mask, inpaint_area="only_masked", mask_blur=6)
    req = GenerationRequest(prompt=prompt, negative_prompt="blurry, lowres", mode=mode, seed=-1, steps=30, cfg_scale=7.0, scheduler="DPM++ 2M Karras", batch_size=batch, **kwargs)
    pixels = np.random.default_rng(1).integers(0, 255, size=(*size, 3), dtype=np.uint8)
    return GeneratedImage(pixels, seed=1234567890 + index, index=index, request=req, model_name="v1-5-pruned-emaonly", model_hash="6ce0161689", elapsed=1.0)


CASES = {
    "txt2img": _image(),
    "img2img": _image("img2img"),
    "inpaint": _image("inpaint"),
    "batch": _image(batch=4, index=2),
    "unicode": _image(prompt="猫と寿司 🍣, ラテ café"),
    "punctuation": _image(prompt='a "quoted" word, colon: yes\nsecond line, (weight:1.2)'),
}


def _write(tmp_path: Path, case: str, fmt: str) -> tuple[Path, GeneratedImage]:
    img = CASES[case]
    path = tmp_path / f"{case}.{ 'jpg' if fmt == 'jpeg' else fmt}"
    path.write_bytes(md.encode_image(img, fmt, md.a1111_parameters(img), md.studio_metadata(img)))
    return path, img


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("case", list(CASES))
def test_studio_files_read_by_piexif_as_a1111_does(tmp_path, case, fmt):
    piexif = pytest.importorskip("piexif")
    import piexif.helper

    path, img = _write(tmp_path, case, fmt)
    with Image.open(path) as im:
        if fmt == "png":
            text = im.info["parameters"]
        else:  # modules/images.py read_info_from_image: piexif.load, then UserComment.load
            comment = piexif.load(im.info["exif"])["Exif"][piexif.ExifIFD.UserComment]
            assert isinstance(comment, bytes)
            text = piexif.helper.UserComment.load(comment)
    assert text == md.a1111_parameters(img)
    parsed = md.parse_a1111(text)
    assert parsed["prompt"] == img.request.prompt and parsed["negative_prompt"] == "blurry, lowres"
    assert (parsed["Seed"], parsed["Steps"], parsed["CFG scale"], parsed["Size"]) == (str(img.seed), "30", "7", "64x48")
    if case == "inpaint":
        assert parsed["Denoising strength"] == "0.45" and parsed["Mask blur"] == "6"
    if case == "batch":
        assert (parsed["Batch size"], parsed["Batch pos"]) == ("4", "2")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("case", list(CASES))
def test_studio_files_read_by_sd_prompt_reader(tmp_path, case, fmt):
    reader = pytest.importorskip("sd_prompt_reader.image_data_reader")
    path, img = _write(tmp_path, case, fmt)
    got = reader.ImageDataReader(str(path))
    assert got.tool == "A1111 webUI"
    assert got.positive == img.request.prompt and got.negative == "blurry, lowres"
    p = got.parameter
    assert (p["seed"], p["steps"], p["cfg"], p["size"], p["sampler"], p["model"]) == (str(img.seed), "30", "7", "64x48", "DPM++ 2M", "v1-5-pruned-emaonly")


def _forget_sd_parsers_cache() -> None:
    """sd-parsers' JPEG UserComment (and stealth-PNG) extractors keep the last image's data keyed by ``id(image)``;
    a new image that gets a freed one's id reads the previous file's metadata (seen as another case's prompt or
    seed). Clear that cache so each file is read for itself."""
    from sd_parsers.extractors import _jpeg_usercomment, _png_stenographic_alpha

    _jpeg_usercomment._image_id = None
    _png_stenographic_alpha._image_id = None


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("case", list(CASES))
def test_studio_files_read_by_sd_parsers(tmp_path, case, fmt):
    sd_parsers = pytest.importorskip("sd_parsers")
    path, img = _write(tmp_path, case, fmt)
    _forget_sd_parsers_cache()
    info = sd_parsers.ParserManager().parse(str(path))
    assert info is not None and info.generator.name == "AUTOMATIC1111"
    assert info.full_prompt == img.request.prompt and info.full_negative_prompt == "blurry, lowres"
    sampler = info.samplers[0]
    assert sampler.name == "DPM++ 2M"
    assert (sampler.parameters["seed"], sampler.parameters["steps"], sampler.parameters["cfg_scale"], sampler.parameters["scheduler"]) == (str(img.seed), "30", "7", "Karras")
    assert "v1-5-pruned-emaonly" in {m.name for m in info.models}


def test_jpeg_exif_over_64kb_falls_back_to_xmp(tmp_path):
    img = _image(prompt="word " * 8000)  # ~80 KB of UTF-16 text
    notes: list[str] = []
    data = md.encode_image(img, "jpeg", md.a1111_parameters(img), {"format": "studio", "params": {"prompt": "short"}}, notes=notes)
    assert notes and "64 KB" in notes[0]
    (tmp_path / "big.jpg").write_bytes(data)
    got = md.read_metadata(tmp_path / "big.jpg")
    assert got.source == "studio" and got.prompt == "short"
