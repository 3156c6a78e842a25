"""``studio generate``: text-to-image, img2img and inpainting without a window."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from studio.cli import preview_options
from studio.engine.request import GenerationRequest, InpaintArea, MaskedContent, Mode
from studio.engine.model_defaults import FALLBACK_CFG, FALLBACK_STEPS
from studio.engine.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from studio.cli.remote_args import add_server_args, remote_engine


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "generate",
        help="generate images headless",
        description="Generate images. Without --out they go to the gallery under STUDIO_HOME.",
    )
    p.add_argument("prompt", help="what to draw; (word:1.2) weights, BREAK, <lora:name:0.8> and embedding:name work as in AUTOMATIC1111")
    p.add_argument("--negative", default="", help="negative prompt")
    p.add_argument("--model", default=None, help="diffusers folder, .safetensors file, model name or hub repo id")
    p.add_argument("--scheduler", default=None,
                   help=f"one of: {', '.join(SCHEDULER_NAMES)} (default: the model's recommendation, else {DEFAULT_SCHEDULER})")
    p.add_argument("--steps", type=int, default=None,
                   help=f"denoising steps (default: the model's recommendation, else {FALLBACK_STEPS})")
    p.add_argument("--cfg", type=float, default=None,
                   help=f"classifier-free guidance scale (default: the model's recommendation, else {FALLBACK_CFG})")
    p.add_argument("--seed", type=int, default=-1, help="-1 for random")
    p.add_argument("--width", type=int, default=0, help="0: the model's native size (or the init image's)")
    p.add_argument("--height", type=int, default=0)
    p.add_argument("--batch", type=int, default=1, help="images, with seeds seed, seed+1, ...")
    p.add_argument("--init", type=Path, help="init image for img2img or inpainting")
    p.add_argument("--strength", type=float, default=None, help="how much to change the init image (0..1)")
    p.add_argument("--mask", type=Path, help="inpainting mask, white = repaint (needs --init)")
    p.add_argument("--inpaint-area", choices=[a.value for a in InpaintArea], default=InpaintArea.WHOLE.value)
    p.add_argument("--padding", type=int, default=32, help="context pixels around the mask (only_masked)")
    p.add_argument("--mask-blur", type=int, default=4, help="feather the mask edge by N pixels")
    p.add_argument(
        "--masked-content", choices=[m.value for m in MaskedContent], default=MaskedContent.ORIGINAL.value
    )
    p.add_argument("--hires-scale", type=float, default=None,
                   help="hires fix: generate at the native size, upscale by this factor (1-4), then img2img")
    p.add_argument("--hires-denoise", type=float, default=0.45, help="hires fix: strength of the second pass")
    p.add_argument("--hires-steps", type=int, default=0, help="hires fix: second-pass steps (0: as the first pass)")
    p.add_argument("--upscaler", default=None,
                   help="hires fix upscaler: a name from 'studio models' (default: the bundled GAN), Lanczos or Latent")
    p.add_argument("--out", type=Path, help="write PNGs into this folder instead of the gallery")
    p.add_argument("--json", action="store_true", help="one JSON object per image on stdout")
    p.add_argument("--no-watermark", action="store_true", help="--out files without the invisible watermark")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--dtype", default="auto", help="auto, float32, float16, bfloat16")
    p.add_argument("--allow-pickle", action="store_true", help="allow .ckpt/.bin weights (loaded weights-only)")
    add_server_args(p)
    preview_options.add_args(p)
    p.set_defaults(func=run)


def build_request(args: argparse.Namespace, engine=None) -> GenerationRequest:
    from studio.engine.errors import InvalidRequest
    from studio.engine.imageio import load_mask, load_rgb

    from studio.cli.textargs import checked_text

    args.prompt = checked_text(args.prompt, "prompt")
    args.negative = checked_text(args.negative, "negative prompt")
    args.model = checked_text(args.model, "model name")
    if args.scheduler is not None:
        from studio.engine.schedulers import resolve_name

        resolve_name(args.scheduler)  # an unknown name is reported before the model loads
    for text, what in ((args.prompt, "prompt"), (args.negative, "negative prompt")):
        _check_length(text, what)
    init = load_rgb(args.init) if args.init else None
    mask = load_mask(args.mask) if args.mask else None
    if mask is not None and init is None:
        raise InvalidRequest("--mask needs --init: the image to inpaint.")
    mode = Mode.INPAINT if mask is not None else Mode.IMG2IMG if init is not None else Mode.TXT2IMG
    strength = args.strength if args.strength is not None else (1.0 if mode is Mode.INPAINT else 0.75)
    recommended = _recommended(args, engine)
    return GenerationRequest(
        prompt=args.prompt,
        negative_prompt=args.negative,
        model=args.model,
        scheduler=args.scheduler if args.scheduler is not None else recommended.get("scheduler", DEFAULT_SCHEDULER),
        steps=args.steps if args.steps is not None else recommended.get("steps", FALLBACK_STEPS),
        cfg_scale=args.cfg if args.cfg is not None else recommended.get("cfg_scale", FALLBACK_CFG),
        seed=args.seed,
        width=args.width,
        height=args.height,
        batch_size=args.batch,
        mode=mode,
        init_image=init,
        mask=mask,
        strength=strength,
        inpaint_area=args.inpaint_area,
        inpaint_padding=args.padding,
        mask_blur=args.mask_blur,
        masked_content=args.masked_content,
        vae=args.vae,
    )


_PIECE_RE = re.compile(r"[^\W\d_]+|\d|[^\s\w]+", re.UNICODE)


def _check_length(text: str, what: str) -> None:
    """Refuse a prompt that is surely over the token limit, before paying for the model.

    Every word, digit and run of symbols is at least one CLIP token, so this
    count is a lower bound of the real one (checked again after the load).
    """
    from studio.engine.networks import TAG_RE
    from studio.engine.prompts import CHUNK_TOKENS, MAX_CHUNKS, parse_weights

    limit = CHUNK_TOKENS * MAX_CHUNKS
    pieces = sum(len(_PIECE_RE.findall(piece)) for piece, weight in parse_weights(TAG_RE.sub(" ", text)) if weight >= 0)
    if pieces > limit:
        from studio.engine.errors import InvalidRequest

        raise InvalidRequest(f"The {what} is at least {pieces} tokens long; the limit is {limit}. Shorten it.")


def _recommended(args: argparse.Namespace, engine=None) -> dict:
    """The model's recommended settings, needed only for the options the user left out."""
    if None not in (args.scheduler, args.steps, args.cfg):
        return {}
    if engine is not None:  # a server: its model's recommendations
        return engine.load(args.model).defaults.as_params()
    from studio.engine.models import defaults_for

    return defaults_for(args.model).as_params()


def _next_index(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.glob("*.png") if (m := re.match(r"(\d{5})-", p.name))]
    return max(numbers, default=-1) + 1


def write_to_folder(images, folder: Path, *, watermark: bool = True) -> list[dict]:
    """Write each image as a PNG with metadata and provenance (atomically, never replacing a file); masks beside inpaints."""
    import io
    import itertools

    from PIL import Image

    from studio.engine import provenance
    from studio.fsutil import atomic_write_bytes, write_new_file

    folder.mkdir(parents=True, exist_ok=True)
    index = _next_index(folder)
    rows = []
    for img in images:
        first = f"{index:05d}-{img.seed}.png"
        data, notes = provenance.encode_generated(img, "png", first, provenance.Options.for_export(watermark=watermark))
        for note in notes:
            print(f"{first}: {note}", file=sys.stderr)
        names = (f"{i:05d}-{img.seed}.png" for i in itertools.count(index))
        path = write_new_file(folder, names, data)
        index = int(path.name[:5]) + 1
        mask = img.extra.get("mask")
        if mask is not None:
            buf = io.BytesIO()
            Image.fromarray(mask).save(buf, format="PNG")
            atomic_write_bytes(path.with_name(path.stem + ".mask.png"), buf.getvalue())
        rows.append({"path": str(path.resolve())})
    return rows


def write_to_gallery(images) -> list[dict]:
    from studio.library import Library

    lib = Library.open()
    try:
        rows = []
        for img in images:
            entry = lib.add_generated(img, mask=img.extra.get("mask"))
            rows.append({"id": entry.id, "path": str(entry.path)})
        return rows
    finally:
        close = getattr(lib, "close", None)
        if close:
            close()


def save(images, out: Path | None, *, watermark: bool = True) -> tuple[list[dict], str | None]:
    """Save to ``out`` or the gallery; when that fails, keep the images in a fallback folder.

    Returns the rows and, when the images did not land where asked, the one-line reason.
    """
    from studio.fsutil import StorageError
    from studio.library.fallback import save_elsewhere

    saved: list[dict] = []
    try:
        for img in images:  # one at a time: what was written before a failure stays where it is
            saved += write_to_folder([img], out, watermark=watermark) if out is not None else write_to_gallery([img])
        return saved, None
    except OSError as exc:
        reason = str(exc) if isinstance(exc, StorageError) else f"Could not write {out}: {exc.strerror or exc}"
        kept = getattr(exc, "kept_at", None)
        rest = images[len(saved) + (1 if kept else 0) :]
        if kept:
            saved.append({"path": str(kept)})
        try:
            saved += [{"path": str(p)} for p in save_elsewhere(rest, exclude=out)]
        except StorageError as again:
            raise StorageError(exc.errno, f"{reason} {again} The image(s) could not be kept.") from exc
        where = saved[-1]["path"] if rest else str(kept)
        return saved, f"{reason} The image(s) were kept instead: {where}" if rest else reason


def run(args: argparse.Namespace) -> int:
    from studio.cli.progress import TerminalProgress
    from studio.engine.events import CancelFlag

    remote = remote_engine(args)
    request = build_request(args, remote)  # validate before paying for torch and the model
    hires = None
    if args.hires_scale is not None:
        from studio.engine.hires import HiresOptions

        hires = HiresOptions(args.hires_scale, args.hires_denoise, args.hires_steps, args.upscaler)
        if request.mode is not Mode.TXT2IMG:
            from studio.engine.errors import InvalidRequest

            raise InvalidRequest("--hires-scale is for text-to-image; to enlarge an init image, use studio upscale.")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        from studio.engine.errors import InvalidRequest

        raise InvalidRequest(f"--out {args.out} is a file; give a folder.")
    if remote is not None:
        engine = remote
    else:
        from studio.engine.generator import Engine, EngineSettings

        engine = Engine(EngineSettings(device=args.device, dtype=args.dtype, allow_pickle=args.allow_pickle,
                                       **preview_options.engine_options(args)))
    progress = TerminalProgress()
    sink = preview_options.PreviewSaver(args.save_previews, request.batch_size, progress) if args.save_previews else progress
    cancel = CancelFlag()
    try:
        if hires is not None:
            from studio.engine.hires import generate_hires

            images = generate_hires(engine, request, hires, on_event=sink, cancel=cancel)
        else:
            images = engine.generate(request, on_event=sink, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        progress.close()
    rows, problem = save(images, args.out, watermark=not args.no_watermark)
    for img, row in zip(images, rows):
        record = {
            **row,
            "seed": img.seed,
            "steps": img.request.steps,
            "width": img.width,
            "height": img.height,
            "model": img.model_name,
            "model_hash": img.model_hash,
            "scheduler": img.request.scheduler,
            "cfg_scale": img.request.cfg_scale,
            "mode": img.request.mode.value,
            "prompt": img.request.prompt,
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(record["path"], flush=True)
    if not args.json:
        print(f"{len(images)} image(s), {images[-1].elapsed:.1f}s", file=sys.stderr)
    if problem:
        print(f"studio: error: {problem}", file=sys.stderr)
        return 1
    return 0
