"""`studio bench --only starter --quick` runs end to end through the CLI and prints every figure."""
import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "resources" / "models" / "starter"
pytestmark = pytest.mark.skipif(not (FOLDER / "model_index.json").exists(), reason="starter model not exported")


def test_starter_bench_quick(capsys, one_torch_thread):
    from studio.cli.main import main

    assert main(["bench", "--only", "starter", "--quick"]) == 0
    out = capsys.readouterr().out
    print(out)
    figures = {}
    for line in out.splitlines():
        m = re.match(r"\s+(.+?)\s+([0-9.e+-]+) (%|s|MiB)$", line)
        if m:
            figures[m.group(1).strip()] = float(m.group(2))
    assert figures["prompt adherence, 16 held-out prompts (target >= 90%)"] <= 100
    assert figures["inpaint: pixels outside the mask unchanged"] == 100
    assert figures["seconds per 128x128 image, 20 steps, CFG (target <= 1 s)"] > 0  # produced; its size is the bench's
    assert 0 < figures["model folder size (target <= 30 MB)"] <= 30
    assert figures["VAE ceiling: adherence on round trips of the exact targets"] >= 50


def test_starter_bench_missing_model_is_one_clear_error(tmp_path, capsys):
    from studio.cli.main import main

    assert main(["bench", "--only", "starter", "--quick", "--model", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "No starter model at" in err and "Traceback" not in err
