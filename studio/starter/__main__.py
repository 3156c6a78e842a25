"""CLI: python -m studio.starter train-vae|train-unet|train-preview-decoder|export|tune-cfg|evaluate|all"""
from __future__ import annotations


# Training shares two cores with other work: libgomp's long busy-wait made
# competing processes stall each other (16 s/step vs 4 s/step for the VAE under
# load). The engine's short spin fixes that without the cost of passive waiting.
# Must be set before torch initialises OpenMP.
from studio.engine.quiet import limit_openmp_spinning  # noqa: E402

limit_openmp_spinning()

import argparse  # noqa: E402
import json
import sys
from pathlib import Path

from . import train_preview, train_unet, train_vae  # noqa: E402
from .export import DEFAULT_DEST  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studio.starter", description="Train, export and evaluate the starter model.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    train_vae.add_args(sub.add_parser("train-vae", help="train the VAE (resumes from its checkpoint)"))
    train_unet.add_args(sub.add_parser("train-unet", help="train text encoder + UNet (resumes; runs until stopped)"))
    train_preview.add_args(sub.add_parser("train-preview-decoder",
                                          help="train the tiny preview decoder on the model's own latents (resumes)"))
    ex = sub.add_parser("export", help="write the current EMA weights as a diffusers folder")
    ex.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    ex.add_argument("--no-ema", action="store_true")
    ev = sub.add_parser("evaluate", help="adherence on the 200 held-out prompts, speed; updates the model card")
    ev.add_argument("--folder", type=Path, default=DEFAULT_DEST)
    ev.add_argument("--count", type=int, default=200)
    ev.add_argument("--guidance", type=float, default=None, help="default: the folder's recommended CFG (tune-cfg)")
    ev.add_argument("--grid", type=Path, default=None, help="save a PNG of targets/samples")
    tu = sub.add_parser("tune-cfg", help="pick the recommended CFG on a tuning set; writes studio_defaults.json")
    tu.add_argument("--folder", type=Path, default=DEFAULT_DEST)
    tu.add_argument("--count", type=int, default=100)
    sub.add_parser("status", help="print the training state (VAE PSNR, UNet step and loss)")
    al = sub.add_parser("all", help="train-vae, decoder fine-tune, train-unet for --unet-minutes, export, tune-cfg, evaluate")
    al.add_argument("--vae-minutes", type=float, default=60.0)
    al.add_argument("--decoder-minutes", type=float, default=40.0)
    al.add_argument("--unet-minutes", type=float, default=345.0)
    al.add_argument("--layout-minutes", type=float, default=60.0,
                    help="part of --unet-minutes: the layout stage (noisiest steps, one-object scenes, full captions)")
    al.add_argument("--pairs-minutes", type=float, default=105.0,
                    help="the last part of --unet-minutes: the pairs stage (noisiest steps, two-object scenes, full captions)")
    args = ap.parse_args(argv)

    if args.cmd == "train-vae":
        train_vae.train(args)
    elif args.cmd == "train-unet":
        train_unet.train(args)
    elif args.cmd == "train-preview-decoder":
        train_preview.train(args)
    elif args.cmd == "export":
        from .export import export
        export(args.dest, use_ema=not args.no_ema)
    elif args.cmd == "evaluate":
        from .evaluate import evaluate
        print(json.dumps(evaluate(args.folder, count=args.count, guidance=args.guidance, grid_path=args.grid), indent=2))
    elif args.cmd == "tune-cfg":
        from .tune import tune_guidance
        print(json.dumps(tune_guidance(args.folder, count=args.count), indent=2))
    elif args.cmd == "status":
        from . import state
        for name in ("vae", "unet"):
            path = state.state_dir() / f"{name}_status.json"
            print(name, path.read_text() if path.exists() else "no status yet")
    elif args.cmd == "all":
        p = argparse.ArgumentParser()
        train_vae.add_args(p)
        train_vae.train(p.parse_args(["--max-minutes", str(args.vae_minutes), "--target-psnr", "26.5",
                                       "--batch", "8", "--lr", "7e-4", "--eval-every", "150"]))
        p = argparse.ArgumentParser()
        train_vae.add_args(p)
        train_vae.train(p.parse_args(["--decoder-only", "--object-weight", "5", "--max-minutes", str(args.decoder_minutes),
                                      "--decay-minutes", "12", "--lr", "2e-4", "--batch", "8", "--eval-every", "300"]))
        p = argparse.ArgumentParser()
        train_unet.add_args(p)
        main_minutes = max(args.unet_minutes - args.layout_minutes - args.pairs_minutes, 0)
        for stage, minutes in ((train_unet.MAIN_STAGE, main_minutes), (train_unet.LAYOUT_STAGE, args.layout_minutes),
                               (train_unet.PAIRS_STAGE, args.pairs_minutes)):
            train_unet.train(p.parse_args(train_unet.COMMON_ARGS + stage + ["--max-minutes", str(minutes)]))
        from .evaluate import evaluate
        from .export import export
        from .tune import tune_guidance
        dest = export(DEFAULT_DEST)
        tune_guidance(dest)
        print(json.dumps(evaluate(dest), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
