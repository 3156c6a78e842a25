"""10,000 hostile inputs through every metadata reader, ``format_readable`` and strict JSON: 0 crashes.

The run happens in a child process with a generous timeout (a hang fails the
test rather than stalling CI) and reports its peak memory. The inputs: every
container and text layout with hostile values (huge and negative numbers,
NaN, dicts for strings, lone surrogates, fan-out and looping graphs, unclosed
and DTD-bearing XML), the real files of ../shared/interop when present, and
random mutations of all of them. 100,000 run in ``studio bench --only metadata``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_RUN = """
import json, sys, tempfile
from pathlib import Path
from studio.bench.metadata import interop_files
from studio.engine.metadata.fuzz import run_fuzz
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would include the forking parent's peak)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
with tempfile.TemporaryDirectory() as tmp:
    stats = run_fuzz(int(sys.argv[1]), Path(tmp), extra=interop_files())
print(json.dumps({"inputs": stats.inputs, "crashes": stats.crashes[:20], "clean": stats.clean_errors,
                  "rss_mb": peak_mb()}))
"""


def test_fuzz_10000_inputs_no_crash():
    done = subprocess.run([sys.executable, "-c", _RUN, "10000"], capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["inputs"] == 10_000
    assert result["crashes"] == []
    assert result["clean"] > 0  # broken files were among the inputs, and refused cleanly
    assert result["rss_mb"] < 1024
