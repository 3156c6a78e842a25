"""Provenance with real clients: exiftool reads the IPTC source type, c2pa-python's Reader validates
Studio's manifests (trusted with this install's root) and reports tampering, imwatermark's decoder
finds the mark, and A1111-style readers still read ``parameters`` of signed files."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import stat
import subprocess

import numpy as np
import pytest
from PIL import Image
from provenance_tools import change_one_pixel, generated, scene

from studio.cli.main import main as cli
from studio.engine import metadata as md
from studio.engine import provenance
from studio.engine.provenance import credentials, verify
from studio.engine.provenance.source_type import COMPOSITE, TRAINED
from studio.engine.errors import StudioError
from studio.engine.request import Mode
from studio.library import Library

c2pa = pytest.importorskip("c2pa")
requires_wm = pytest.mark.skipif(importlib.util.find_spec("imwatermark") is None,
                                 reason="invisible-watermark not installed (pip install --no-deps invisible-watermark)")
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
SUFFIX = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def reader(data: bytes, fmt: str, anchors: bytes | None = None):
    settings = {"verify": {"remote_manifest_fetch": False}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors.decode()}
        settings["verify"]["verify_trust"] = True
    return c2pa.Reader(MIME[fmt], io.BytesIO(data), None, c2pa.Context.from_dict(settings))


def export(img, fmt, tmp_path, **options):
    data, notes = provenance.encode_generated(img, fmt, "x" + SUFFIX[fmt], provenance.Options.for_export(**options))
    path = tmp_path / f"out-{fmt}{SUFFIX[fmt]}"
    path.write_bytes(data)
    return path, notes


def exiftool(*args) -> str:
    return subprocess.run(["exiftool", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool (Debian libimage-exiftool-perl) not installed")
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("mode,expected", [(Mode.TXT2IMG, TRAINED), (Mode.INPAINT, COMPOSITE)])
def test_exiftool_reads_the_digital_source_type(tmp_path, fmt, mode, expected):
    path, _notes = export(generated(scene(320, 256), mode=mode), fmt, tmp_path)
    out = exiftool("-s3", "-XMP-iptcExt:DigitalSourceType", str(path))
    assert out.strip() == expected
    assert "Warning" not in exiftool("-warning", str(path))
    # the studio JSON in the XMP of JPEG/WebP is still read back too
    assert md.read_metadata(path).studio["params"]["prompt"] == "a blue disc"


@requires_wm
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_c2pa_reader_trusts_studios_manifest_with_this_installs_root(tmp_path, fmt):
    path, _ = export(generated(scene()), fmt, tmp_path)
    data = path.read_bytes()
    with reader(data, fmt) as r:  # no anchors: intact, signer unknown
        assert r.get_validation_state() == "Valid"
    root = credentials.root_pem()
    with reader(data, fmt, root) as r:
        assert r.get_validation_state() == "Trusted"
        m = r.get_active_manifest()
    actions = [a for x in m["assertions"] if x["label"].startswith("c2pa.actions") for a in x["data"]["actions"]]
    assert actions[0]["action"] == "c2pa.created" and actions[0]["digitalSourceType"] == TRAINED
    generator = next(x["data"] for x in m["assertions"] if x["label"] == "org.studio.generator")
    assert generator["model"] == "tiny-model" and generator["model_hash"] == "0123456789"
    assert generator["watermark"] == "invisible-watermark dwtDct"
    assert m["signature_info"]["issuer"] == credentials.ORG
    # A1111-style readers still read the parameters: PNG text chunk, JPEG/WebP EXIF UserComment
    with Image.open(path) as im:
        if fmt == "png":
            text = im.info["parameters"]
        else:
            raw = im.getexif().get_ifd(0x8769)[0x9286]
            assert raw[:8] == b"UNICODE\x00"
            text = raw[8:].decode("utf-16-be")
    assert text.startswith("a blue disc\nNegative prompt: blurry\nSteps: 9")
    assert md.read_metadata(path).studio == md.studio_metadata(generated(scene()))


def test_edit_manifest_names_init_image_and_mask_as_ingredients(tmp_path):
    path, _ = export(generated(scene(), mode=Mode.INPAINT), "png", tmp_path)
    with reader(path.read_bytes(), "png", credentials.root_pem()) as r:
        assert r.get_validation_state() == "Trusted"
        m = r.get_active_manifest()
    assert [(i["title"], i["relationship"]) for i in m["ingredients"]] == [("init image", "parentOf"), ("mask", "componentOf")]
    report = verify.verify_file(path)
    assert report.actions == ["c2pa.opened", "c2pa.edited [compositeWithTrainedAlgorithmicMedia]"]


def test_one_pixel_changed_after_signing_breaks_the_signature(tmp_path, capsys):
    path, _ = export(generated(scene()), "png", tmp_path)
    tampered = tmp_path / "tampered.png"
    tampered.write_bytes(change_one_pixel(path.read_bytes()))
    with reader(tampered.read_bytes(), "png", credentials.root_pem()) as r:
        assert r.get_validation_state() == "Invalid"
        codes = [f["code"] for f in r.get_validation_results()["activeManifest"]["failure"]]
    assert "assertion.dataHash.mismatch" in codes
    assert Image.open(tampered).info["parameters"].startswith("a blue disc")  # the text is all still there
    assert cli(["verify", str(path), str(tampered)]) == 2
    out = capsys.readouterr().out
    assert out.count("C2PA: valid, trusted") == 1 and "SIGNATURE BROKEN" in out
    assert cli(["verify", "--json", str(tampered)]) == 2
    got = json.loads(capsys.readouterr().out)
    assert got["c2pa"] == "broken" and got["source_type"] == TRAINED and got["a1111_parameters"] is True


@requires_wm
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_imwatermark_decoder_finds_the_mark(tmp_path, fmt):
    path, notes = export(generated(scene()), fmt, tmp_path)
    assert notes == []
    from imwatermark import WatermarkDecoder

    bgr = np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1].copy()
    assert WatermarkDecoder("bytes", 48).decode(bgr, "dwtDct") == b"STUDIO"
    (tmp_path / "plain").mkdir()
    unmarked, _ = export(generated(scene()), fmt, tmp_path / "plain", watermark=False)
    assert verify.verify_file(unmarked).watermark == "not found"
    assert verify.verify_file(path).watermark == "found"


def test_small_images_are_not_marked_and_say_so(tmp_path):
    path, notes = export(generated(scene(128, 128)), "png", tmp_path)
    assert notes and "below the 65,536 pixels" in notes[0]
    report = verify.verify_file(path)
    assert report.watermark.startswith("not checked") and report.c2pa == "trusted"


def test_credentials_are_made_once_with_private_keys_0600(studio_home):
    first = credentials.load()
    folder = studio_home / "provenance" / "install"
    for name in (credentials.ROOT_KEY, credentials.SIGNER_KEY):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert credentials.load() == first  # the same install keeps its certificate
    from cryptography import x509

    leaf, root = x509.load_pem_x509_certificates(first.chain_pem)
    assert leaf.issuer == root.subject and root.subject == root.issuer
    assert leaf.public_key().curve.name == "secp256r1"


@requires_wm
def test_export_choices(tmp_path):
    img = generated(scene(320, 256), prompt="secret prompt")
    with Library.open() as lib:
        entry = lib.add_generated(img)
        gallery_report = verify.verify_file(entry.path)
        assert gallery_report.c2pa == "trusted" and gallery_report.watermark == "not found"  # the master stays unmarked
        [keep_all] = lib.export([entry.id], tmp_path / "all", fmt="png")
        [no_params] = lib.export([entry.id], tmp_path / "prov", fmt="jpeg", keep="provenance")
        [nothing] = lib.export([entry.id], tmp_path / "none", fmt="webp", keep="none")
    full = verify.verify_file(keep_all)
    assert (full.c2pa, full.watermark, full.a1111_parameters, full.source_type) == ("trusted", "found", True, TRAINED)
    assert md.read_metadata(keep_all).prompt == "secret prompt"
    prov = verify.verify_file(no_params)
    assert (prov.c2pa, prov.watermark, prov.a1111_parameters, prov.source_type) == ("trusted", "found", False, TRAINED)
    assert b"secret" not in no_params.read_bytes() and md.read_metadata(no_params).source == "unknown"
    bare = verify.verify_file(nothing)
    assert (bare.c2pa, bare.watermark, bare.a1111_parameters, bare.source_type) == ("none", "not found", False, None)
    assert not bare.ai_made and bare.badge()[1] == "No provenance record"


def test_cli_generate_out_is_signed_and_inpaint_names_its_ingredients(tiny_sd_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["generate", "a red star", "--model", str(tiny_sd_dir), "--steps", "2", "--seed", "5",
                "--out", str(out / "t2i"), "--json"]) == 0
    t2i = json.loads(capsys.readouterr().out.splitlines()[0])["path"]
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert cli(["generate", "a blue ring", "--model", str(tiny_sd_dir), "--steps", "2", "--init", t2i,
                "--mask", str(tmp_path / "mask.png"), "--out", str(out / "inp"), "--json"]) == 0
    inp = json.loads(capsys.readouterr().out.splitlines()[0])["path"]
    a, b = verify.verify_file(t2i), verify.verify_file(inp)
    assert (a.c2pa, a.source_type, a.actions) == ("trusted", TRAINED, ["c2pa.created [trainedAlgorithmicMedia]"])
    assert (b.c2pa, b.source_type) == ("trusted", COMPOSITE)
    assert b.ingredients == ["init image (parentOf)", "mask (componentOf)"]
    assert a.a1111_parameters and b.a1111_parameters
    assert "model tiny-sd" in "\n".join(a.lines())


def test_verify_bad_input_is_one_line(tmp_path, capsys):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert cli(["verify", str(junk), str(tmp_path / "missing.png")]) == 1
    out = capsys.readouterr().out
    assert "not a PNG, JPEG or WebP file" in out and "Cannot read" in out and "Traceback" not in out


@requires_wm
@pytest.mark.parametrize("keep", ["all", "provenance"])
def test_exported_edit_stays_valid_with_or_without_its_parent(tmp_path, keep):
    with Library.open() as lib:
        entry = lib.add_generated(generated(scene(), mode=Mode.INPAINT))
        [path] = lib.export([entry.id], tmp_path / keep, fmt="png", keep=keep)
    report = verify.verify_file(path)
    assert (report.c2pa, report.source_type, report.watermark) == ("trusted", COMPOSITE, "found")
    if keep == "all":  # the library copy (whose own manifest names the init image and mask) is the parent
        assert report.actions[0] == "c2pa.opened" and report.ingredients == ["the library's copy (parentOf)"]
    else:
        assert report.actions == ["c2pa.created [compositeWithTrainedAlgorithmicMedia]"] and report.ingredients == []


def test_a_users_own_certificate_named_in_signer_json_signs(studio_home, tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    credentials._make(own)  # stands in for a certificate from the user's CA
    (studio_home / "provenance").mkdir(exist_ok=True)
    (studio_home / "provenance" / "signer.json").write_text(json.dumps(
        {"certificate": str(own / credentials.SIGNER_CERT), "private_key": str(own / credentials.SIGNER_KEY)}))
    assert credentials.load().own
    path, _ = export(generated(scene(128, 128)), "png", tmp_path)
    assert verify.verify_file(path, anchors=(own / credentials.ROOT_CERT).read_bytes()).c2pa == "trusted"
    assert verify.verify_file(path).c2pa == "valid"  # not this install's root: intact, signer not trusted here
    (studio_home / "provenance" / "signer.json").write_text("{broken")
    with pytest.raises(StudioError, match="signer.json"):
        credentials.load()
