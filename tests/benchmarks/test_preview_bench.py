"""`studio bench --only preview --quick` prints the fidelity table and the overhead ratios."""

from __future__ import annotations

import re
import shutil

import torch

from studio.cli.main import main


def test_preview_bench_prints_the_table_and_ratios(tiny_sd_dir, tmp_path, capsys, one_torch_thread):
    from studio.engine.preview_decoder import StudioPreviewDecoder

    model = tmp_path / "with-decoder"
    shutil.copytree(tiny_sd_dir, model)
    torch.manual_seed(0)
    StudioPreviewDecoder().save(model / "preview_decoder")
    assert main(["bench", "--only", "preview", "--quick", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "tiny decoder used: tiny (model)" in out
    rows = re.findall(r"at\s+(\d+)% of the steps:\s+([\d.]+) dB \|\s+([\d.]+) dB", out)
    assert [r[0] for r in rows] == ["25", "50", "75", "100"]
    for name in ("tiny decoder vs none, end to end", "from the parts", "one preview, tiny decoder"):
        line = next(line for line in out.splitlines() if name in line)
        assert float(line.split()[-2]) > 0
