"""``<lora:name:weight>`` tags through the real engine: tiny LoRAs made with peft, applied with diffusers."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio import paths
from studio.engine import networks
from studio.engine.errors import InvalidRequest, ModelLoadError, ModelNotFound, UnsafeModelFile
from studio.engine.request import GenerationRequest, Mode

pytestmark = pytest.mark.usefixtures("one_torch_thread")

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
PROMPT = "a red circle on the left"


def _randomize_lora_b(model, seed: int) -> None:
    """peft starts lora_B at zero (no effect); random values make the LoRA change the picture."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.5)


def _save_lora(model_dir: Path, out_file: Path, *, xl: bool = False, text_encoder: bool = False, seed: int = 0) -> Path:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline, UNet2DConditionModel
    from peft import LoraConfig, get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(model_dir / "unet")
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=UNET_TARGETS))
    _randomize_lora_b(unet, seed)
    layers = {"unet_lora_layers": get_peft_model_state_dict(unet)}
    if text_encoder:
        from peft import inject_adapter_in_model
        from transformers import CLIPTextModel

        te = CLIPTextModel.from_pretrained(model_dir / "text_encoder")
        te_config = LoraConfig(r=4, lora_alpha=4, target_modules=["q_proj", "k_proj", "v_proj", "out_proj"])
        te = inject_adapter_in_model(te_config, te)
        _randomize_lora_b(te, seed + 1)
        layers["text_encoder_lora_layers"] = get_peft_model_state_dict(te)
    cls = StableDiffusionXLPipeline if xl else StableDiffusionPipeline
    cls.save_lora_weights(out_file.parent, weight_name=out_file.name, **layers)
    return out_file


@pytest.fixture(scope="module")
def lora_store(tiny_sd_dir, tmp_path_factory) -> Path:
    """SD-shaped LoRAs, built once: ``tiny`` (UNet only) and ``both`` (UNet and text encoder)."""
    store = tmp_path_factory.mktemp("loras")
    _save_lora(tiny_sd_dir, store / "tiny.safetensors")
    _save_lora(tiny_sd_dir, store / "both.safetensors", text_encoder=True, seed=5)
    return store


@pytest.fixture
def lora_dir(lora_store, studio_home) -> Path:
    """This test's LoRA folder (under its own STUDIO_HOME), holding the store's LoRAs."""
    folder = paths.lora_dir()
    assert folder == studio_home / "models" / "Lora"
    shutil.copytree(lora_store, folder)
    return folder


@pytest.fixture(scope="module")
def baseline(engine, tiny_sd_dir) -> np.ndarray:
    """The model's own picture, made before the engine ever saw a LoRA."""
    return engine.generate(_req(tiny_sd_dir))[0].image


def _req(model, prompt: str = PROMPT, **kw) -> GenerationRequest:
    kw.setdefault("steps", 3)
    kw.setdefault("seed", 77)
    return GenerationRequest(prompt=prompt, model=str(model), **kw)


def _image(engine, model, prompt: str = PROMPT, **kw) -> np.ndarray:
    return engine.generate(_req(model, prompt, **kw))[0].image


# -- parsing ------------------------------------------------------------------------------


def test_parse_cuts_tags_and_adds_weights():
    text, negative, tags = networks.parse(
        "a cat <lora:style:0.5>, <LoRA:style:0.25> on a mat <lyco:detail> <lora:split:0.4:0.9> <lora:named:unet=0.2>",
        "blurry <lora:bad:1>",
    )
    assert text == "a cat ,  on a mat   "  # A1111 removes the tags and leaves the spaces
    assert negative == "blurry "
    assert tags == [
        networks.LoraTag("style", 0.75, 0.75),
        networks.LoraTag("detail", 1.0, 1.0),
        networks.LoraTag("split", 0.4, 0.9),
        networks.LoraTag("named", 1.0, 0.2),
    ]
    assert networks.parse("no tags here") == ("no tags here", "", [])
    with pytest.raises(InvalidRequest, match="not a weight"):
        networks.parse("x <lora:style:strong>")
    with pytest.raises(InvalidRequest, match="names no LoRA"):
        networks.parse("x <lora::1>")


# -- applying -----------------------------------------------------------------------------


def test_tag_changes_pixels_and_untagged_runs_stay_bit_identical(engine, tiny_sd_dir, baseline, lora_dir):
    tagged = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:1>")
    assert not np.array_equal(tagged, baseline)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)  # adapters off again, bit for bit
    half = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:0.5>")
    assert not np.array_equal(half, baseline) and not np.array_equal(half, tagged)
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:1>"), tagged)  # cached adapter, same result
    twice = _image(engine, tiny_sd_dir, f"<lora:tiny:0.5> {PROMPT} <lora:tiny:0.5>")
    assert np.array_equal(twice, tagged)  # the same name twice: 0.5 + 0.5
    assert engine._loaded(str(tiny_sd_dir), None).loras.loaded == 1  # loaded once, reused
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)


def test_weight_zero_and_negative_prompt_tags_change_nothing(engine, tiny_sd_dir, baseline, lora_dir):
    # Zero weight: no adapter runs, so only the text could differ, and the tag never reaches the encoder.
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:0>"), baseline)
    assert np.array_equal(_image(engine, tiny_sd_dir, f"<lora:tiny:0>{PROMPT}"), baseline)
    plain_negative = _image(engine, tiny_sd_dir, negative_prompt="blurry")
    tagged_negative = _image(engine, tiny_sd_dir, negative_prompt="blurry <lora:tiny:1>")
    assert np.array_equal(tagged_negative, plain_negative)  # removed and ignored, as in A1111


def test_text_encoder_and_unet_weights_apply_separately(engine, tiny_sd_dir, baseline, lora_dir):
    te_only = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both:1:0>")
    unet_only = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both:te=0:unet=1>")
    full = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both:1>")
    images = [baseline, te_only, unet_only, full]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert not np.array_equal(images[i], images[j]), (i, j)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)


def _to_kohya(diffusers_file: Path, out_file: Path) -> Path:
    """The same LoRA in the kohya/A1111 layout: ``lora_unet_...``/``lora_te_...`` keys, ``lora_down``/``lora_up``, alphas."""
    from diffusers.utils import convert_state_dict_to_kohya
    from safetensors.torch import load_file, save_file

    state = load_file(diffusers_file)
    out = {}
    for prefix, kohya_prefix in (("unet.", "lora_unet_"), ("text_encoder.", "lora_te_")):
        part = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        out.update({kohya_prefix + k: v.contiguous() for k, v in convert_state_dict_to_kohya(part).items()})
    save_file(out, out_file, metadata={"ss_network_module": "networks.lora"})
    return out_file


def test_kohya_layout_gives_the_same_picture(engine, tiny_sd_dir, baseline, lora_dir):
    _to_kohya(lora_dir / "both.safetensors", lora_dir / "both_kohya.safetensors")
    native = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both:0.8>")
    kohya = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both_kohya:0.8>")
    assert not np.array_equal(native, baseline)
    assert np.array_equal(kohya, native)
    te_only = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:both:1:0>")
    assert np.array_equal(_image(engine, tiny_sd_dir, f"{PROMPT} <lora:both_kohya:1:0>"), te_only)


def test_img2img_uses_the_same_adapters(engine, tiny_sd_dir, baseline, lora_dir):
    init = np.zeros((64, 64, 3), np.uint8)
    init[:, :32] = (200, 40, 40)
    kw = dict(mode=Mode.IMG2IMG, init_image=init, strength=0.7, steps=4)
    plain = _image(engine, tiny_sd_dir, **kw)
    tagged = _image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:1>", **kw)
    assert not np.array_equal(plain, tagged)
    assert np.array_equal(_image(engine, tiny_sd_dir, **kw), plain)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)


# -- errors -------------------------------------------------------------------------------


def test_unknown_name_lists_what_is_there(engine, tiny_sd_dir, lora_dir):
    with pytest.raises(ModelNotFound) as err:
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:nope:1>"))
    message = str(err.value)
    assert "'nope'" in message and str(lora_dir) in message and "both, tiny" in message
    assert "\n" not in message


def test_empty_or_missing_folder_says_where_it_is(engine, tiny_sd_dir):
    with pytest.raises(ModelNotFound, match="is empty") as err:
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:tiny>"))
    assert str(paths.lora_dir()) in str(err.value)


def test_names_match_subfolders_and_case(lora_dir):
    (lora_dir / "styles").mkdir()
    shutil.copy(lora_dir / "tiny.safetensors", lora_dir / "styles" / "Ink.safetensors")
    assert networks.find("styles/Ink") == lora_dir / "styles" / "Ink.safetensors"
    assert networks.find("Ink") == networks.find("ink") == lora_dir / "styles" / "Ink.safetensors"


def test_pickle_lora_refused_unless_allowed(engine, tiny_sd_dir, lora_dir):
    import torch
    from safetensors.torch import load_file

    from studio.engine.generator import Engine, EngineSettings

    torch.save(load_file(lora_dir / "tiny.safetensors"), lora_dir / "pickled.pt")
    with pytest.raises(UnsafeModelFile, match="pickle"):
        engine.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:pickled:1>"))
    trusting = Engine(EngineSettings(preview_every=0, allow_pickle=True))
    from_pickle = _image(trusting, tiny_sd_dir, f"{PROMPT} <lora:pickled:1>")
    assert np.array_equal(from_pickle, _image(engine, tiny_sd_dir, f"{PROMPT} <lora:tiny:1>"))
    (lora_dir / "broken.pt").write_bytes(b"not a pickle")
    with pytest.raises(ModelLoadError, match="broken.pt could not be read"):
        trusting.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:broken:1>"))


def test_damaged_file_is_one_clear_error(engine, tiny_sd_dir, baseline, lora_dir):
    data = (lora_dir / "tiny.safetensors").read_bytes()
    (lora_dir / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (lora_dir / "junk.safetensors").write_bytes(b"this is not a safetensors file at all")
    for name in ("cut", "junk"):
        with pytest.raises(ModelLoadError, match="not a valid .safetensors file") as err:
            engine.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:{name}:1>"))
        assert f"{name}.safetensors" in str(err.value)
    assert np.array_equal(_image(engine, tiny_sd_dir), baseline)


def test_sdxl_lora_on_sd_model_is_refused_and_the_engine_recovers(tiny_sd_dir, tiny_sdxl_dir, baseline, lora_dir):
    from studio.engine.generator import Engine, EngineSettings

    _save_lora(tiny_sdxl_dir, lora_dir / "xl.safetensors", xl=True)
    fresh = Engine(EngineSettings(preview_every=0))  # the failing LoRA is the first this model sees
    with pytest.raises(ModelLoadError) as err:
        fresh.generate(_req(tiny_sd_dir, f"{PROMPT} <lora:xl:1>"))
    message = str(err.value)
    assert "'xl' does not fit" in message and "in the LoRA but" in message and "\n" not in message
    assert np.array_equal(_image(fresh, tiny_sd_dir), baseline)  # no half-loaded layers left behind
    assert not np.array_equal(_image(fresh, tiny_sd_dir, f"{PROMPT} <lora:tiny:1>"), baseline)
    assert np.array_equal(_image(fresh, tiny_sd_dir), baseline)
    # On the family it was made for, the same file works.
    xl_plain = _image(fresh, tiny_sdxl_dir, steps=2)
    assert not np.array_equal(_image(fresh, tiny_sdxl_dir, f"{PROMPT} <lora:xl:1>", steps=2), xl_plain)


# -- metadata and the CLI -----------------------------------------------------------------


def _addnet_hash(path: Path) -> str:
    data = path.read_bytes()
    header = int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[8 + header :]).hexdigest()[:12]


def test_metadata_records_lora_hashes_and_regenerates(engine, tiny_sd_dir, lora_dir):
    from studio.engine.metadata import encode_png, read_metadata

    prompt = f"{PROMPT} <lora:tiny:0.8>"
    img = engine.generate(_req(tiny_sd_dir, prompt, negative_prompt="blurry"))[0]
    path = lora_dir.parent / "out.png"
    path.write_bytes(encode_png(img))
    text = Image.open(path).text["parameters"]
    assert text.startswith(prompt + "\nNegative prompt: blurry\n")  # the tag stays in the prompt
    assert f'Lora hashes: "tiny: {_addnet_hash(lora_dir / "tiny.safetensors")}"' in text
    md = read_metadata(path)
    assert md.prompt == prompt and md.parameters["Lora hashes"] == f"tiny: {_addnet_hash(lora_dir / 'tiny.safetensors')}"
    again = engine.generate(GenerationRequest.from_params(md.to_params()))[0]
    assert np.array_equal(again.image, img.image)


def test_cli_generate_with_tag_and_info(tiny_sd_dir, lora_dir, tmp_path, capsys):
    from studio.cli.main import main

    out = tmp_path / "out"
    code = main(["generate", f"{PROMPT} <lora:tiny:0.7>", "--model", str(tiny_sd_dir), "--steps", "3",
                 "--seed", "9", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    row = json.loads(captured.out.strip().splitlines()[0])
    assert main(["info", row["path"], "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["prompt"] == f"{PROMPT} <lora:tiny:0.7>"
    assert info["parameters"]["Lora hashes"] == f"tiny: {_addnet_hash(lora_dir / 'tiny.safetensors')}"
    untagged = main(["generate", PROMPT, "--model", str(tiny_sd_dir), "--steps", "3", "--seed", "9",
                     "--out", str(tmp_path / "plain"), "--json"])
    assert untagged == 0
    plain = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert not np.array_equal(np.asarray(Image.open(plain["path"])), np.asarray(Image.open(row["path"])))


def test_cli_bad_tag_is_one_error_line(tiny_sd_dir, lora_dir, tmp_path, capsys):
    from studio.cli.main import main

    code = main(["generate", f"{PROMPT} <lora:missing:1>", "--model", str(tiny_sd_dir), "--steps", "2",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("studio: error: ") and "'missing'" in lines[0]
    assert not (tmp_path / "out").exists()
