"""The engine: one object that loads models and turns requests into images.

The app's worker thread, the CLI, the benchmarks and the tests all call
:meth:`Engine.generate`; there is no second path. Importing this module
imports torch and diffusers, so the UI imports it on its worker thread only.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.engine.quiet import silence_libraries

silence_libraries()

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from studio import paths  # noqa: E402
from studio.engine import devices, embeddings, models, networks, preview, preview_methods, prompts, schedulers  # noqa: E402
from studio.engine import vae_memory, vae_swap  # noqa: E402
from studio.engine.errors import GenerationCancelled, InvalidRequest, OutOfMemory, StudioError  # noqa: E402
from studio.engine.events import CancelFlag, GeneratedImage, PreviewRegion, Progress, Status  # noqa: E402
from studio.engine.request import GenerationRequest, MaskedContent, Mode  # noqa: E402

EventSink = Callable[[object], None]


@dataclass
class EngineSettings:
    device: str = "auto"
    dtype: str = "auto"
    preview_every: int = 1  # a preview every k steps; 0 turns previews off
    preview_method: str = "auto"  # one of preview_methods.METHODS
    preview_vae_every: int = 5  # "vae" method: the full VAE every N steps, the linear map between
    vae_memory_mb: int = 0  # decode bound for VAE tiling/slicing; 0: automatic
    allow_pickle: bool = False  # load .ckpt/.bin weights (weights-only) after the user opted in
    cache_size: int = 2  # loaded models kept in memory
    threads: int = 0  # torch CPU threads; 0 leaves torch's default


@dataclass
class LoadedModel:
    info: models.ModelInfo
    base: object  # the text-to-image pipeline; the others share its modules
    previewer: preview.LatentPreviewer | None
    scheduler_config: dict
    derived: dict = field(default_factory=dict)
    loras: networks.LoraSet = field(default_factory=networks.LoraSet)  # adapters in the shared modules
    ti: embeddings.EmbeddingSet = field(default_factory=embeddings.EmbeddingSet)  # textual inversions loaded
    folder: Path | None = None  # the model's folder (its preview decoder lives there)
    previewers: dict = field(default_factory=dict)  # preview method -> previewer, built on first use
    vaes: dict = field(default_factory=dict)  # user VAE path -> (AutoencoderKL, name, hash), loaded on first use

    def pipeline(self, mode: Mode):
        if mode is Mode.TXT2IMG:
            return self.base
        if mode not in self.derived:
            from studio.engine.pipeline_classes import derive

            pipe = derive(self.base, mode)
            pipe.set_progress_bar_config(disable=True)
            self.derived[mode] = pipe
        return self.derived[mode]


class _Stop(Exception):
    """Raised from the step callback to leave the denoising loop at once."""

class Engine:
    def __init__(self, settings: EngineSettings | None = None):
        self.settings = settings or EngineSettings()
        self.placement = devices.choose(self.settings.device, self.settings.dtype)
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.RLock()

    # -- models ------------------------------------------------------------------------------

    def load(self, model: str | None = None, on_event: EventSink | None = None) -> models.ModelInfo:
        """Load (or fetch from cache) a model; returns its info."""
        return self._loaded(model, on_event).info

    def tokenizer(self, model: str | None = None):
        """The loaded model's first tokenizer (for token counting)."""
        return self._loaded(model, None).base.tokenizer

    def _loaded(self, model: str | None, on_event: EventSink | None) -> LoadedModel:
        source = models.resolve(model)
        key = f"{source.kind}:{source.location}"
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            emit = on_event or (lambda _e: None)
            emit(Status("loading", f"Loading model {source.name}…"))

            def on_status(message, fraction=None):
                emit(Status("downloading", message, fraction))

            pipe, info = models.load(
                source, self.placement, allow_pickle=self.settings.allow_pickle, on_status=on_status
            )
            loaded = LoadedModel(
                info, pipe, self._previewer(pipe, source, info), dict(pipe.scheduler.config),
                loras=networks.LoraSet(info.name), ti=embeddings.EmbeddingSet(info.name),
                folder=Path(source.location) if source.kind == "folder" else None,
            )
            while len(self._models) >= max(1, self.settings.cache_size):
                self._models.popitem(last=False)
            self._models[key] = loaded
            emit(Status("ready", f"{info.name} ready ({info.native_width}x{info.native_height}, {self.placement.device})"))
            return loaded

    def _previewer(self, pipe, source: models.ModelSource, info: models.ModelInfo):
        channels = pipe.vae.config.latent_channels
        pmap = None
        if source.kind == "folder":
            candidate = Path(source.location) / preview.PREVIEW_FILE
            if candidate.is_file():
                try:
                    pmap = preview.PreviewMap.from_file(candidate)
                except (OSError, ValueError, KeyError):
                    pmap = None
        if pmap is None and channels == 4:
            pmap = preview.family_map(info.family)
        if pmap is None or len(pmap.factors) != channels:
            pmap = self._fitted_map(pipe, info)
        return preview.LatentPreviewer(pmap, self.placement.device, pipe.unet.dtype)

    def preview_for(self, loaded: LoadedModel, vae=None):
        """The previewer of the current preview method (the linear map when its decoder is missing)."""
        method = self.settings.preview_method
        if method == "vae":  # built per run: it decodes with the run's VAE (a swapped one too)
            return preview_methods.VaePreviewer(vae or loaded.base.vae, preview_methods.LinearPreviewer(loaded.previewer),
                                                self.settings.preview_vae_every)
        if method not in loaded.previewers:
            loaded.previewers[method] = preview_methods.build(
                method, pipe=loaded.base, model_folder=loaded.folder, family=loaded.info.family,
                linear=loaded.previewer, device=self.placement.device,
            )
        return loaded.previewers[method]

    def user_vae(self, loaded: LoadedModel, spec: str):
        """(vae, name, hash) for a user VAE, loaded once per model and checked against its latents."""
        path = str(vae_swap.resolve(spec))
        if path not in loaded.vaes:
            like = loaded.base.vae
            vae, choice, digest = vae_swap.load(path, like, like.device, like.dtype)
            loaded.vaes[path] = (vae, choice.name, digest)
        return loaded.vaes[path]

    def _fitted_map(self, pipe, info: models.ModelInfo) -> preview.PreviewMap:
        cache = paths.data_dir() / "cache" / "preview_maps" / f"{info.hash or info.name}.json"
        if cache.is_file():
            try:
                return preview.PreviewMap.from_file(cache)
            except (OSError, ValueError, KeyError):
                pass
        pmap = preview.fit_preview_map(pipe.vae, self.placement.device, pipe.vae.dtype)
        try:
            from studio.fsutil import atomic_write_text

            atomic_write_text(cache, pmap.to_json())
        except OSError:
            pass
        return pmap

    # -- generation --------------------------------------------------------------------------

    def generate(
        self,
        request: GenerationRequest,
        on_event: EventSink | None = None,
        cancel: CancelFlag | None = None,
    ) -> list[GeneratedImage]:
        """Run one request (a batch of ``batch_size`` images, seeds seed, seed+1, ...)."""
        emit = on_event or (lambda _e: None)
        cancel = cancel or CancelFlag()
        request = request.with_seed()
        prompt, negative, tags = networks.parse(request.prompt, request.negative_prompt)
        lora_files = networks.resolve(tags, allow_pickle=self.settings.allow_pickle)
        ti_files = embeddings.resolve(embeddings.names(prompt, negative), allow_pickle=self.settings.allow_pickle)
        hashes = {"lora_hashes": networks.hashes(lora_files), "ti_hashes": embeddings.hashes(ti_files)}
        with self._lock:
            loaded = self._loaded(request.model, emit)
            width, height = self._size(request, loaded.info)
            steps_per_image = _expected_steps(request)
            if steps_per_image < 1:
                raise InvalidRequest(
                    f"Strength {request.strength:g} x {request.steps} steps leaves no step to run; raise the strength or the steps."
                )
            clock = _JobClock(steps_per_image * request.batch_size)
            if cancel.is_set():
                raise GenerationCancelled(step=0, total=steps_per_image)
            try:
                loaded.loras.apply(loaded.base, lora_files)  # the tags leave the text; their weights go in
                if ti_files:  # embedding tags become the tokens they were loaded under
                    words = loaded.ti.tokens(loaded.base, ti_files)
                    prompt, negative = embeddings.substitute(prompt, words), embeddings.substitute(negative, words)
                embeds = prompts.encode_cached(loaded.base, prompt, negative, repr((lora_files, ti_files)))
                vae, vae_extra = None, {}
                if request.vae:  # recorded as A1111's "VAE" and "VAE hash"
                    vae, vae_extra["vae"], vae_extra["vae_hash"] = self.user_vae(loaded, request.vae)
                results = []
                for index, seed in enumerate(request.seeds()):
                    runner = _PipelineRun(self, loaded, request, seed, index, embeds, clock, emit, cancel, vae)
                    extra: dict = {**{k: dict(v) for k, v in hashes.items() if v}, **vae_extra}
                    if request.mode is Mode.INPAINT:
                        from studio.engine import inpaint

                        image, inpaint_extra = inpaint.inpaint_image(
                            runner.inpaint,
                            request,
                            seed,
                            native_size=(loaded.info.native_width, loaded.info.native_height),
                            unet_in_channels=loaded.info.unet_in_channels,
                            on_crop=lambda box, size, i=index: emit(PreviewRegion(tuple(box), tuple(size), i)),
                        )
                        extra.update(inpaint_extra)
                    elif request.mode is Mode.IMG2IMG:
                        init = Image.fromarray(request.init_image).convert("RGB")
                        if init.size != (width, height):
                            init = init.resize((width, height), Image.LANCZOS)
                        image = runner.run(Mode.IMG2IMG, width, height, image=init, strength=request.strength)
                        back = request.init_image.shape[1::-1]
                        if not (request.width or request.height) and image.shape[1::-1] != back:
                            # "native size" with an init: generated at the model's budget, scaled back
                            image = np.asarray(Image.fromarray(image).resize(back, Image.LANCZOS))
                            extra["generated_size"] = f"{width}x{height}"
                    else:
                        image = runner.run(Mode.TXT2IMG, width, height)
                    results.append(
                        GeneratedImage(
                            image=image,
                            seed=seed,
                            index=index,
                            # a scaled-back result keeps "native size" (0 x 0): reusing it scales back again
                            request=request if "generated_size" in extra else request.replace(width=image.shape[1], height=image.shape[0]),
                            model_name=loaded.info.name,
                            model_hash=loaded.info.hash,
                            elapsed=clock.elapsed(),
                            extra=extra,
                        )
                    )
                return results
            except (torch.OutOfMemoryError, MemoryError):
                _free_memory()
                raise OutOfMemory(
                    f"Out of memory at {width}x{height}, batch {request.batch_size}. "
                    "Lower the size or batch, or switch the device in Settings."
                ) from None
            except RuntimeError as exc:
                if "out of memory" in str(exc).lower():
                    _free_memory()
                    raise OutOfMemory(f"Out of memory at {width}x{height}: lower the size or batch.") from None
                raise

    @staticmethod
    def _size(request: GenerationRequest, info: models.ModelInfo) -> tuple[int, int]:
        if request.width and request.height:
            return request.width, request.height
        if request.init_image is not None:
            from studio.engine.sizing import init_size

            h, w = request.init_image.shape[:2]
            return init_size((request.width, request.height), (w, h), (info.native_width, info.native_height))
        return request.width or info.native_width, request.height or info.native_height


def _expected_steps(request: GenerationRequest) -> int:
    if request.mode is Mode.TXT2IMG:
        return request.steps
    if request.mode is Mode.INPAINT and request.masked_content is MaskedContent.NOISE:
        return request.steps  # fresh noise runs at full strength
    return min(int(request.steps * request.strength), request.steps)


def _free_memory() -> None:
    import gc
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class _JobClock:
    """Elapsed time and ETA across all images of a batch."""

    def __init__(self, total_steps: int):
        self.start = time.perf_counter()
        self.total = max(1, total_steps)
        self.done = 0
        self.first_step = self.start

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def step(self) -> tuple[float, float]:
        """(elapsed, eta) after one more step. The ETA uses the pace since the first
        step, so set-up (prompt encoding, the first step's warm-up) does not inflate it."""
        self.done += 1
        now = time.perf_counter()
        if self.done == 1:
            self.first_step = now
        elapsed = now - self.start
        pace = (now - self.first_step) / (self.done - 1) if self.done > 1 else elapsed
        return elapsed, pace * max(0, self.total - self.done)


class _PipelineRun:
    """One image: scheduler, seed, callback with previews and cancel, decode."""

    def __init__(self, engine, loaded, request, seed, index, embeds, clock, emit, cancel, vae=None):
        self.engine = engine
        self.vae = vae  # a user VAE in place of the model's own, or None
        self.loaded = loaded
        self.request = request
        self.seed = seed
        self.index = index
        self.embeds = embeds
        self.clock = clock
        self.emit = emit
        self.cancel = cancel

    def inpaint(
        self, image: Image.Image, mask: Image.Image, width: int, height: int, *, strength: float | None = None
    ) -> np.ndarray:
        """The closure :func:`studio.engine.inpaint.inpaint_image` calls for the model pass."""
        strength = self.request.strength if strength is None else strength
        return self.run(Mode.INPAINT, width, height, image=image, mask_image=mask, strength=strength)

    def run(self, mode: Mode, width: int, height: int, **inputs) -> np.ndarray:
        pipe = self.loaded.pipeline(mode)
        pipe.scheduler = schedulers.make_scheduler(self.request.scheduler, self.loaded.scheduler_config)
        tap = preview.X0Tap(pipe.scheduler)
        every = self.engine.settings.preview_every
        previewer = self.engine.preview_for(self.loaded, self.vae) if every else None
        own_vae = pipe.vae
        # object.__setattr__: the pipeline's own __setattr__ re-registers its config, which looks the
        # module up with inspect (100+ ms holding the GIL, a GUI stall)
        if self.vae is not None:
            object.__setattr__(pipe, "vae", self.vae)
        settings = self.engine.settings
        vae_memory.apply(pipe.vae, vae_memory.plan(
            pipe.vae.config, width, height, 1, vae_memory.bound_mb(self.engine.placement.device, settings.vae_memory_mb),
            torch.finfo(pipe.vae.dtype).bits // 8,
        ))
        generator = torch.Generator("cpu").manual_seed(self.seed)
        request = self.request
        progress_state = {"step": 0, "total": 0}

        def on_step_end(p, i, t, kwargs):
            total = getattr(p, "_num_timesteps", None) or request.steps
            step = i + 1
            progress_state.update(step=step, total=total)
            if self.cancel.is_set():
                raise _Stop()
            frame = None
            if previewer is not None and every and (step % every == 0 or step == total):
                frame = previewer(tap.latest if tap.latest is not None else kwargs["latents"], step, total)
            elapsed, eta = self.clock.step()
            self.emit(Progress(step, total, self.index, request.batch_size, elapsed, eta, frame))
            if frame is not None and self.cancel.after_frame():
                raise _Stop()  # a newer live state waits: this job's preview is out, stop here
            return kwargs

        try:
            out = pipe(
                **self.embeds,
                **inputs,
                num_inference_steps=request.steps,
                guidance_scale=request.cfg_scale,
                width=width,
                height=height,
                generator=generator,
                output_type="np",
                callback_on_step_end=on_step_end,
            )
        except _Stop:
            raise GenerationCancelled(step=progress_state["step"], total=progress_state["total"]) from None
        except ValueError as exc:
            raise InvalidRequest(str(exc).splitlines()[0]) from None
        finally:
            if self.vae is not None:
                object.__setattr__(pipe, "vae", own_vae)
        images = out.images
        return (np.clip(images[0], 0.0, 1.0) * 255).round().astype(np.uint8)


__all__ = ["Engine", "EngineSettings", "StudioError"]
