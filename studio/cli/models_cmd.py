"""``studio models``: list the models the studio can use."""

from __future__ import annotations

import json
import textwrap


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="list installed models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from studio import paths
    from studio.engine.model_card import training_statement
    from studio.engine.models import defaults_for, list_models
    from studio.engine.upscale.models import list_upscalers

    choices = list_models()
    for c in choices:
        recommended = defaults_for(c.spec)
        if args.json:
            row = {"name": c.name, "spec": c.spec, "kind": c.kind, "training_data": training_statement(c.spec)}
            if recommended.as_params():
                row["recommended"] = recommended.as_params()
            print(json.dumps(row))
        else:
            extra = f"  (recommended: {recommended.describe()})" if recommended.as_params() else ""
            print(f"{c.name:24} {c.kind:12} {c.spec or paths.starter_model_dir()}{extra}")
            print(textwrap.fill(training_statement(c.spec), 100, initial_indent="    training data: ", subsequent_indent="    "))
    if not choices and not args.json:
        print(f"No models installed. Put diffusers folders or .safetensors files in {paths.models_dir()}.")
    for u in list_upscalers():
        kind = "upscaler" + (" (bundled)" if u.bundled else "")
        if args.json:
            print(json.dumps({"name": u.name, "spec": str(u.path), "kind": "upscaler", "bundled": u.bundled}))
        else:
            print(f"{u.name:24} {kind:12} {u.path}")
    return 0
