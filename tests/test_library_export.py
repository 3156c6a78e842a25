"""Export: names safe against hostile prompts, metadata kept in every format, zip, sidecars, strip."""

from __future__ import annotations

import json
import os
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli.main import main as cli
from studio.engine import metadata as md
from studio.engine.errors import StudioError
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.library import Library
from studio.library.names import MAX_NAME_BYTES, _WINDOWS_RESERVED, render_template, safe_filename

DATA = Path(__file__).parent / "data" / "interop"
WINDOWS_BAD = set('<>:"/\\|?*') | {chr(i) for i in range(32)}


def gen(prompt, seed=7, negative="bad hands") -> GeneratedImage:
    req = GenerationRequest(prompt=prompt, negative_prompt=negative, seed=seed, steps=9, scheduler="DPM++ 2M Karras", cfg_scale=5.5)
    rng = np.random.default_rng(seed)
    return GeneratedImage(rng.integers(0, 255, (40, 56, 3), dtype=np.uint8), seed, 0, req, "tiny-model", "f00d", 0.2)


@pytest.fixture
def lib(studio_home):
    library = Library.open()
    yield library
    library.close()


def assert_portable(name: str) -> None:
    assert name and name not in (".", "..")
    assert not (set(name) & WINDOWS_BAD), name
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith((".", "-", " ")) and not name.endswith((".", " "))
    assert name.split(".")[0].strip().upper() not in _WINDOWS_RESERVED
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert len(name.encode("utf-16-le")) // 2 <= 255  # NTFS counts UTF-16 units
    assert unicodedata.is_normalized("NFC", name)
    name.encode("utf-8")  # no lone surrogates


HOSTILE = [
    "../../etc/passwd",
    "..\\..\\Windows\\System32\\config",
    "/absolute/path",
    "CON",
    "con.txt",
    "LPT9",
    "nul",
    "COM1 ",
    "x" * 1000,
    "🐱" * 300,
    "👩‍👩‍👧‍👦 family " * 40,
    "a\x00b\x1fc\nd\te",
    'what? <b>bold</b> "quoted" | piped * star : colon',
    "trailing dots...",
    "   ",
    "",
    ".hidden",
    "-rf --no-preserve-root",
    "e\u0301cole",  # decomposed: normalised to NFC
    "\u202eevil\u202dtxt.exe",  # bidi overrides dropped
]


@pytest.mark.parametrize("prompt", HOSTILE)
def test_safe_filename_hostile(prompt):
    name = safe_filename(prompt, ".png")
    assert name.endswith(".png")
    assert_portable(name)


def test_template_fields_and_errors():
    class E:
        id, seed, prompt, created, model = 3, 99, "../../etc", 0.0, "m/odel"

    name = render_template("{date}-{seed}-{prompt}", E(), ".png")
    assert name == "1970-01-01-99-etc.png" or name.endswith("-99-etc.png")
    assert render_template("{id}_{model}", E(), ".webp") == "3_m odel.webp"
    with pytest.raises(StudioError, match="Unknown field"):
        render_template("{prompt}-{__class__}", E(), ".png")
    with pytest.raises(StudioError):
        render_template("{prompt!r}", E(), ".png")
    with pytest.raises(StudioError, match="malformed"):
        render_template("{prompt", E(), ".png")


def test_export_hostile_prompts_stay_inside(lib, tmp_path):
    prompts = [p for p in HOSTILE if p.strip()]  # a request needs a prompt
    ids = [lib.add_generated(gen(p, seed=i)).id for i, p in enumerate(prompts)]
    out = tmp_path / "export"
    written = lib.export(ids, out, template="{prompt}")
    assert len(written) == len(prompts)
    for path in written:
        assert path.parent == out.resolve()
        assert_portable(path.name)
    assert len({p.name.lower() for p in written}) == len(written)  # unique, even case-insensitively
    assert sorted(os.listdir(out)) == sorted(p.name for p in written)
    assert not (tmp_path / "etc").exists()
    # A zip gets the same names
    archive = lib.export(ids, tmp_path / "all.zip", template="{prompt}")[0]
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert len(names) == len(prompts)
    for name in names:
        assert_portable(name)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_export_keeps_metadata_read_back_with_studio_info(lib, tmp_path, fmt, capsys):
    img = gen("a lighthouse, at dusk: 灯台 🌅", seed=4242)
    entry = lib.add_generated(img)
    [path] = lib.export([entry.id], tmp_path / "out", fmt=fmt)
    assert path.suffix == {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}[fmt]
    with Image.open(path) as im:
        assert im.format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]
    assert cli(["info", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["source"] == "studio"
    assert got["prompt"] == "a lighthouse, at dusk: 灯台 🌅" and got["negative_prompt"] == "bad hands"
    assert (got["seed"], got["steps"], got["cfg_scale"], got["sampler"]) == (4242, 9, 5.5, "DPM++ 2M Karras")
    assert (got["width"], got["height"], got["model"]) == (56, 40, "tiny-model")
    assert got["studio"] == md.studio_metadata(img)
    assert cli(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Seed:" in text and "4242" in text and "灯台" in text


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_export_strip_metadata(lib, tmp_path, fmt, capsys):
    entry = lib.add_generated(gen("secret prompt"))
    [path] = lib.export([entry.id], tmp_path / "out", fmt=fmt, strip=True)
    assert md.read_metadata(path).source == "unknown"
    assert b"secret" not in path.read_bytes()
    assert cli(["info", str(path)]) == 0
    assert "No generation metadata" in capsys.readouterr().out


def test_export_imported_images_keep_their_metadata(lib, tmp_path):
    report = lib.import_folder(DATA)
    comfy = next(e for e in lib.get_many(report.added) if e.source == "comfyui")
    a1111 = next(e for e in lib.get_many(report.added) if e.source == "a1111" and e.path.suffix == ".png")
    png_out = lib.export([comfy.id], tmp_path / "png")[0]
    back = md.read_metadata(png_out)
    assert back.raw.get("workflow") and back.raw.get("prompt")  # ComfyUI's own chunks kept in PNG
    assert back.prompt.startswith("beautiful scenery")
    jpg_out = lib.export([a1111.id], tmp_path / "jpg", fmt="jpeg")[0]
    back = md.read_metadata(jpg_out)
    assert back.raw["parameters"] == md.read_metadata(a1111.path).raw["parameters"]  # the original A1111 text, verbatim
    assert back.seed == 3141592653 and back.parameters["Lora hashes"] == "detail: 1a2b3c, style: 4d5e6f"


def test_export_zip_with_sidecars(lib, tmp_path):
    a = lib.add_generated(gen("first image", seed=1))
    b = lib.add_generated(gen("second image", seed=2))
    archive = lib.export([a.id, b.id], tmp_path / "set.zip", fmt="webp", sidecar="json", template="{seed}-{prompt}")[0]
    assert archive == (tmp_path / "set.zip")
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["1-first image.json", "1-first image.webp", "2-second image.json", "2-second image.webp"]
        side = json.loads(zf.read("2-second image.json"))
        assert side["seed"] == 2 and side["prompt"] == "second image" and side["metadata"]["source"] == "studio"
        zf.extract("1-first image.webp", tmp_path / "x")
    assert md.read_metadata(tmp_path / "x" / "1-first image.webp").seed == 1


def test_export_txt_sidecar_is_a1111_text(lib, tmp_path):
    a = lib.add_generated(gen("with text", seed=5))
    written = lib.export([a.id], tmp_path / "o", sidecar="txt", template="{id}")
    assert [p.name for p in written] == [f"{a.id}.png", f"{a.id}.txt"]
    text = written[1].read_text(encoding="utf-8")
    assert text == md.read_metadata(a.path).raw["parameters"]
    assert md.parse_a1111(text)["Seed"] == "5"


def test_export_never_overwrites(lib, tmp_path):
    a = lib.add_generated(gen("same", seed=5))
    first = lib.export([a.id], tmp_path / "o", template="{prompt}")
    second = lib.export([a.id], tmp_path / "o", template="{prompt}")
    assert [p.name for p in first] == ["same.png"] and [p.name for p in second] == ["same-2.png"]


def test_export_errors(lib, tmp_path):
    a = lib.add_generated(gen("x"))
    with pytest.raises(StudioError, match="No image with id 999"):
        lib.export([a.id, 999], tmp_path / "o")
    with pytest.raises(StudioError, match="Unknown export format"):
        lib.export([a.id], tmp_path / "o", fmt="gif")
    with pytest.raises(StudioError, match="Unknown field"):
        lib.export([a.id], tmp_path / "o", template="{nope}")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
