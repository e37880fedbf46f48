"""Helpers shared by the cell test modules (test_cells_*.py).

``shared_oracle_run`` runs one oracle script once per test session, even under
pytest-xdist: the first worker runs it and stores the result in the session's
shared temporary directory; the others wait on a file lock and read it.
"""
from __future__ import annotations

import fcntl
import hashlib
import pickle

from oracle import run_oracle


def shared_oracle_run(tmp_path_factory, key: str, code: str, inputs: dict | None = None) -> dict:
    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):  # xdist worker: share the parent directory
        root = root.parent
    digest = hashlib.sha1(code.encode()).hexdigest()[:12]
    result = root / f"oracle-{key}-{digest}.pkl"
    with open(root / f"oracle-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if result.exists():
                return pickle.loads(result.read_bytes())
            out = run_oracle(code, inputs)
            result.write_bytes(pickle.dumps(out))
            return out
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
