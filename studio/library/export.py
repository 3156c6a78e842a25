"""Exporting images to a folder or a zip, converted, renamed, with or without metadata (mixed into :class:`Library`)."""

from __future__ import annotations

import io
import itertools
import json
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.engine import metadata as md_mod
from studio.engine import provenance
from studio.engine.errors import ImageLoadError, StudioError
from studio.fsutil import StorageError, atomic_write_bytes, write_new_file
from studio.library.entry import GalleryEntry
from studio.library.names import DEFAULT_TEMPLATE, inside, render_template, template_fields, unique_name

EXPORT_FORMATS = ("png", "jpeg", "webp")


class ExportMixin:
    """:meth:`export` and the per-image conversion it uses."""

    def export(
        self,
        ids: Sequence[int],
        dest: Path | str,
        *,
        fmt: str | None = None,
        strip: bool = False,
        template: str = DEFAULT_TEMPLATE,
        sidecar: str | None = None,
        quality: int = 95,
        lossless: bool = False,
        max_side: int | None = None,
        scale: float | None = None,
        keep: str | None = None,
        watermark: bool = True,
    ) -> list[Path]:
        """Export images to a folder (or a ``.zip`` when ``dest`` ends with .zip).

        ``fmt``: png, jpeg, webp or None (keep each file's format). Metadata is
        kept (PNG text chunks; EXIF UserComment + XMP for JPEG/WebP) unless
        ``strip``. ``template`` names the files (fields: see
        :mod:`studio.library.names`). ``sidecar``: None, "txt" (AUTOMATIC1111
        text) or "json". ``quality`` (1-100) is for JPEG and lossy WebP;
        ``lossless`` makes WebP lossless (pixels identical to the source). Resize
        with ``max_side`` (longest side in pixels, never enlarged) or ``scale``
        (a factor such as 0.5). Returns the files written (the archive for a zip).
        ``keep``: all (default), provenance (no generation parameters) or none
        (same as ``strip``); ``watermark``: add the invisible mark (256x256 and up).
        Studio's images get the XMP source type and C2PA Content Credentials.
        """
        try:
            chosen = provenance.parse_keep(keep or ("none" if strip else "all"))
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        options = provenance.Options.for_export(chosen, watermark)
        dest = Path(dest)
        if fmt is not None:
            fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
            if fmt not in EXPORT_FORMATS:
                raise StudioError(f"Unknown export format {fmt!r}; use png, jpeg or webp.")
        if sidecar not in (None, "txt", "json"):
            raise StudioError(f"Unknown sidecar {sidecar!r}; use txt or json.")
        template_fields(template)  # fail before writing anything
        if not 1 <= int(quality) <= 100:
            raise StudioError(f"Quality is 1 to 100, not {quality}.")
        if max_side is not None and int(max_side) < 1:
            raise StudioError(f"The longest side must be at least 1 pixel, not {max_side}.")
        if scale is not None and not 0 < float(scale) <= 8:
            raise StudioError(f"The scale must be between 0 and 8, not {scale}.")
        resize = (int(max_side) if max_side else None, float(scale) if scale and float(scale) != 1.0 else None)
        entries = self.get_many(list(ids))
        missing = set(int(i) for i in ids) - {e.id for e in entries}
        if missing:
            raise StudioError(f"No image with id {', '.join(str(i) for i in sorted(missing))} in the library.")
        items = []  # (name, bytes)
        taken: set[str] = set()
        as_zip = dest.suffix.lower() == ".zip"
        folder = None if as_zip else dest
        self._refuse_inside_library(dest.parent if as_zip else dest)
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(exc.errno, f"Could not create the folder {folder}: {exc.strerror}") from exc
        for index, entry in enumerate(entries):
            data, ext, md = self._export_bytes(entry, fmt, options, quality, lossless, resize)
            name = unique_name(render_template(template, entry, ext, index=index), taken, folder)
            items.append((name, data))
            if sidecar:
                stem = name[: -len(ext)]
                if sidecar == "txt":  # asked for explicitly: written even when the image is stripped
                    side = md.a1111_text() if md is not None else ""
                else:
                    side = json.dumps(self._sidecar_json(entry, md), ensure_ascii=False, indent=2)
                items.append((unique_name(stem + "." + sidecar, taken, folder), side.encode("utf-8")))
        if as_zip:
            def write_zip(fh: Any) -> None:
                with zipfile.ZipFile(fh, "w") as zf:
                    for name, data in items:
                        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                        info.compress_type = zipfile.ZIP_DEFLATED if name.endswith((".txt", ".json")) else zipfile.ZIP_STORED
                        zf.writestr(info, data)

            buf = io.BytesIO()
            write_zip(buf)
            # an existing archive is never replaced: the new one gets the next free name
            stem = dest.name[: -len(dest.suffix)]
            names = (f"{stem}{dest.suffix}" if n == 1 else f"{stem}-{n}{dest.suffix}" for n in itertools.count(1))
            return [write_new_file(dest.parent, names, buf.getvalue())]
        assert folder is not None
        written = []
        for name, data in items:
            written.append(atomic_write_bytes(inside(folder, name), data))
        return written

    def _refuse_inside_library(self, folder: Path) -> None:
        """Files written into gallery/ or trash/ would be indexed again as new images: refuse."""
        target = Path(folder).resolve()
        for inner in (self.gallery_dir, self.trash_dir):
            if target == inner.resolve() or target.is_relative_to(inner.resolve()):
                raise StudioError(
                    f"Cannot export into the gallery's own folder {inner}: the copies would show up as new images. "
                    "Choose a folder outside it."
                )

    def _sidecar_json(self, entry: GalleryEntry, md: md_mod.ImageMetadata | None) -> dict[str, Any]:
        out = entry.to_json()
        out.pop("path", None)
        if md is not None:
            out["metadata"] = md.to_json()
        return out

    def export_names(self, ids: Sequence[int], *, fmt: str | None = None, template: str = DEFAULT_TEMPLATE) -> list[str]:
        """The file names :meth:`export` would give these images (for a preview; raises on a bad template)."""
        template_fields(template)
        taken: set[str] = set()
        names = []
        for index, entry in enumerate(self.get_many(list(ids))):
            target = fmt or {".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}.get(entry.path.suffix.lower(), "png")
            names.append(unique_name(render_template(template, entry, md_mod.EXTENSIONS[target], index=index), taken))
        return names

    def _export_bytes(
        self,
        entry: GalleryEntry,
        fmt: str | None,
        options: provenance.Options,
        quality: int,
        lossless: bool = False,
        resize: tuple[int | None, float | None] = (None, None),
    ) -> tuple[bytes, str, md_mod.ImageMetadata | None]:
        path = entry.path
        try:
            md = md_mod.read_metadata(path)
        except ImageLoadError as exc:
            raise StudioError(f"Cannot export image {entry.id}: {exc}") from None
        source_fmt = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}.get(md.format, "png")
        target = fmt or source_fmt
        ext = md_mod.EXTENSIONS[target]
        resizing = resize[0] is not None or resize[1] is not None
        ours = md.source == "studio"
        title = path.stem + ext
        marks = options.watermark and (md.width or 0) * (md.height or 0) >= 256 * 256
        if (target == source_fmt and options.keep is provenance.Keep.ALL and ours and not marks and not resizing
                and not (lossless and target == "webp")):
            # already carries everything: copy as is (signed on the way if it was not yet)
            return provenance.sealed_copy(path.read_bytes(), target, md.studio, title, options), ext, md
        try:
            with Image.open(path) as im:
                im.load()
                if im.mode not in ("RGB", "RGBA", "L"):
                    im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
                pixels = _resized(im, *resize) if resizing else im.copy()
        except (OSError, ValueError) as exc:
            raise StudioError(f"Cannot export image {entry.id}: {exc}") from None
        text = md.a1111_text() if (md.prompt or md.parameters or md.seed is not None) else None
        studio = md.studio
        if studio is None and entry.params:
            studio = {
                "format": "studio",
                "format_version": 1,
                "version": md_mod.studio_version(),
                "params": entry.params,
                "seed": entry.seed,
                "model_name": entry.model,
                "model_hash": entry.model_hash,
                "imported_from": md.source,
            }
        extra = {k: v for k, v in md.raw.items() if k not in (md_mod.A1111_CHUNK, md_mod.STUDIO_CHUNK)}
        watermarked = False
        if ours:
            pixels_arr, watermarked, _note = provenance.mark(np.asarray(pixels), options, target)
            pixels = pixels_arr
        strip = not options.metadata
        data = md_mod.encode_image(
            pixels, target, text, studio, strip, extra_png_chunks=extra, quality=quality, lossless=lossless
        )
        if ours:  # only Studio's own images get Studio's provenance
            watermarked, _note = provenance.confirm_mark(data, target, watermarked)
            record = provenance.record_from_studio(md.studio, title, parent=path, watermarked=watermarked, options=options)
            data = provenance.seal(data, target, record, options)
        return data, ext, md


def _resized(im: Image.Image, max_side: int | None, scale: float | None) -> Image.Image:
    """``im`` scaled by ``scale`` or down to ``max_side`` (never enlarged by ``max_side``)."""
    w, h = im.size
    if scale is not None:
        f = scale
    else:
        assert max_side is not None
        f = min(1.0, max_side / max(w, h))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    if size == (w, h):
        return im.copy()
    return im.resize(size, Image.Resampling.LANCZOS)
