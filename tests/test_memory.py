"""ui/memory.py: with malloc tuned, freed multi-megabyte blocks leave the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Free one 8 MB block (glibc then raises its mmap threshold to 8 MB), allocate eighty 1 MB
# blocks, free all but the last (which pins the heap top), and report how much of the 80 MB
# stayed resident.
PROGRAM = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    if sys.argv[1] == "tuned":
        from ui.memory import tune_malloc
        assert tune_malloc()
    import numpy as np

    def rss():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    big = np.ones(8 << 20, np.uint8); del big
    before = rss()
    blocks = [np.ones(1 << 20, np.uint8) for _ in range(80)]
    last = blocks.pop()
    del blocks
    print(rss() - before)
    """
)


def _kept_mb(mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode, str(ROOT)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return float(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_freed_blocks_go_back_to_the_system_once_tuned():
    plain, tuned = _kept_mb("plain"), _kept_mb("tuned")
    assert plain > 60  # glibc's default keeps nearly all 80 MB (this is what we fix)
    assert tuned < 10  # tuned, only the one block still in use stays
