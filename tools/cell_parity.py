"""Print the max abs difference between tfshare's cells and the TF1 oracle.

For every committed golden fixture (tests/fixtures/cells, written by the legacy
TF1 cells through tests/fixtures/make_cell_fixtures.py) this replays the same
weights and inputs through tfshare in Keras mode, TF1 eager mode and TF1 graph
mode and prints the largest difference over all outputs and states.

    python tools/cell_parity.py
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cellutil as cu  # noqa: E402

RUNNERS = {"keras": cu.run_tfshare_keras, "tf1 eager": cu.run_tfshare_tf1,
           "tf1 graph": cu.run_tfshare_graph}


def main() -> int:
    print(f"{'configuration':28s}" + "".join(f"{m:>12s}" for m in RUNNERS))
    worst = 0.0
    for name in cu.fixture_names():
        rec = cu.load_fixture(name)
        row = []
        for runner in RUNNERS.values():
            outs, states, _ = runner(rec["config"], rec["weights"], rec["x"], rec["init"],
                                     noise=rec["noise"] or None)
            row.append(cu.max_abs_diff(outs, states, rec["outs"], rec["states"]))
        worst = max(worst, *row)
        print(f"{name:28s}" + "".join(f"{d:12.2g}" for d in row))
    print(f"max over all: {worst:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
