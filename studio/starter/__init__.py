"""The bundled starter model: a tiny text-to-image model trained from scratch on rendered flat-colour scenes.

Modules: palette (vocabulary), render (scene -> image), captions (scene -> text, held-out split),
tokenizer (offline CLIP BPE), model_configs, data, state (checkpoints), train_vae, train_unet,
export (+ model_card), judge + evaluate (adherence), __main__ (CLI).
"""
