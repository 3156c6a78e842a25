"""Issue 18 (library side): CJK substring search, the new filters and sorts, ratings, boards, purge,
export quality/lossless/resize/name preview and file modes that follow the umask."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from studio.engine.errors import StudioError
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.library import Library


def gen(prompt="a red fox", seed=1, model="tiny", size=(32, 32)) -> GeneratedImage:
    req = GenerationRequest(prompt=prompt, seed=seed, steps=12, scheduler="Euler")
    h, w = size
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)  # noisy pixels: lossy codecs change them
    return GeneratedImage(arr, seed=seed, index=0, request=req, model_name=model, model_hash="abc", elapsed=0.5)


@pytest.fixture
def lib(studio_home):
    library = Library.open()
    yield library
    library.close()


def test_cjk_words_match_inside_unspaced_text(lib):
    star = lib.add_generated(gen("一颗红色的星星", seed=1))
    cat = lib.add_generated(gen("可爱的猫 sitting on a mat", seed=2))
    lib.add_generated(gen("a red fox", seed=3))
    jp = lib.add_generated(gen("夜空に光る星", seed=4))
    assert lib.query_ids("星星") == [star.id]
    assert lib.query_ids("红色") == [star.id]
    assert lib.query_ids("猫 mat") == [cat.id]
    assert sorted(lib.query_ids("星")) == sorted([star.id, jp.id])
    assert lib.query_ids("星 -星星") == [jp.id]
    assert lib.query_ids("fox") != []  # plain words still go through FTS5


def test_filters_seed_lora_size_mask_and_sorts(lib):
    a = lib.add_generated(gen("castle <lora:inkStyle:0.7>", seed=30, model="b-model", size=(32, 48)))
    b = lib.add_generated(gen("castle <lora:ink>", seed=10, model="a-model"), mask=np.ones((32, 32), np.uint8) * 255)
    c = lib.add_generated(gen("castle", seed=20, model="c-model"))
    assert lib.query_ids(seed=10) == [b.id]
    assert lib.query_ids(seed="20") == [c.id]
    with pytest.raises(StudioError, match="whole number"):
        lib.query_ids(seed="abc")
    assert lib.query_ids(lora="inkStyle") == [a.id]
    assert lib.query_ids(lora="ink") == [b.id]  # a whole name, not a prefix
    assert lib.query_ids(size="48x32") == [a.id]
    assert sorted(lib.query_ids(size="32x32")) == sorted([b.id, c.id])
    assert (48, 32) in lib.sizes()
    with pytest.raises(StudioError, match="512x768"):
        lib.query_ids(size="big")
    assert lib.query_ids(has_mask=True) == [b.id]
    assert sorted(lib.query_ids(has_mask=False)) == sorted([a.id, c.id])
    assert lib.query_ids(sort="seed") == [b.id, c.id, a.id]
    assert lib.query_ids(sort="model") == [b.id, a.id, c.id]
    lib.set_rating([c.id], 4)
    lib.set_rating([a.id], 2)
    assert lib.query_ids(sort="rating") == [c.id, a.id, b.id]
    assert lib.get(c.id).rating == 4
    with pytest.raises(StudioError):
        lib.set_rating([a.id], 6)


def test_boards_rename_move_delete_keep_images(lib):
    x, y = lib.add_generated(gen("x", seed=1)), lib.add_generated(gen("y", seed=2))
    lib.add_to_board([x.id, y.id], "Ideas")
    lib.rename_board("Ideas", "Keepers")
    assert lib.boards() == [("Keepers", 2)]
    lib.add_to_board([x.id], "Print")
    with pytest.raises(StudioError, match="already exists"):
        lib.rename_board("Keepers", "print")
    lib.move_to_board([y.id], "Keepers", "Print")
    assert dict(lib.boards()) == {"Keepers": 1, "Print": 2}
    lib.delete_board("Print")
    assert dict(lib.boards()) == {"Keepers": 1}
    assert lib.get(x.id) is not None and lib.get(y.id) is not None


def test_purge_deletes_only_trashed_images_for_good(lib):
    x, y = lib.add_generated(gen("x", seed=1)), lib.add_generated(gen("y", seed=2))
    lib.delete([x.id])
    trashed = lib.get(x.id).path
    assert trashed.exists() and lib.trash_count() == 1
    assert lib.purge([x.id, y.id]) == 1  # y is not in the trash: untouched
    assert not trashed.exists() and lib.get(x.id) is None and lib.get(y.id).path.exists()
    assert lib.trash_count() == 0


def test_export_lossless_webp_quality_resize_and_names(lib, tmp_path):
    e = lib.add_generated(gen("a red, fox", seed=5, size=(64, 96)))
    original = np.asarray(Image.open(e.path).convert("RGB")).astype(int)
    lossy = lib.export([e.id], tmp_path / "lossy", fmt="webp", quality=80)[0]
    assert np.abs(np.asarray(Image.open(lossy).convert("RGB")).astype(int) - original).max() > 0
    exact = lib.export([e.id], tmp_path / "exact", fmt="webp", lossless=True)[0]
    assert np.array_equal(np.asarray(Image.open(exact).convert("RGB")).astype(int), original)
    low = lib.export([e.id], tmp_path / "low", fmt="jpeg", quality=20)[0]
    high = lib.export([e.id], tmp_path / "high", fmt="jpeg", quality=95)[0]
    assert low.stat().st_size < high.stat().st_size
    small = lib.export([e.id], tmp_path / "small", max_side=48)[0]
    assert Image.open(small).size == (48, 32)
    half = lib.export([e.id], tmp_path / "half", scale=0.5, fmt="png")[0]
    assert Image.open(half).size == (48, 32)
    from studio.engine.metadata import read_metadata

    assert read_metadata(small).seed == 5  # resizing keeps the metadata
    names = lib.export_names([e.id, e.id], template="{seed}_{id}", fmt="jpeg")
    assert names == [f"5_{e.id}.jpg", f"5_{e.id}-2.jpg"]
    with pytest.raises(StudioError):
        lib.export([e.id], tmp_path / "bad", quality=0)


def test_written_files_follow_the_umask(lib, tmp_path):
    old = os.umask(0o022)
    try:
        e = lib.add_generated(gen("modes", seed=9))
        out = lib.export([e.id], tmp_path / "out", fmt="jpeg")[0]
        zipped = lib.export([e.id], tmp_path / "a.zip")[0]
        for path in (e.path, out, zipped):
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
        os.umask(0o077)
        private = lib.export([e.id], tmp_path / "private", fmt="png")[0]
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    finally:
        os.umask(old)
