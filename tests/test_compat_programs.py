"""End-to-end TF1 programs: the legacy oracle vs ``tfshare.compat.v1`` (graph mode).

Every program in ``compat_programs.PROGRAMS`` is one source text with ``tf`` as
a free name. It runs once on the oracle (legacy TF1 ``tensorflow.compat.v1``)
and once on ``tfshare.compat.v1`` in a ``tf.Graph``, with every variable set to
the same name-seeded values. Compared: variable names, shapes and order,
trainable sets, facts (collection sizes, layer and scope names), outputs and
losses before and after a few training steps, the saved checkpoints, and
cross-restores (each implementation restores the other's checkpoint and must
reproduce the other's trained outputs). All oracle work is ONE subprocess,
shared by pytest-xdist workers through a file lock.
"""
from __future__ import annotations

import fcntl
import json
import os
import pickle

import numpy as np
import pytest
import tensorflow as tf

from compat_programs import DRIVER, ORACLE_CONTRIB, PROGRAMS, make_inputs
from oracle import needs_oracle, run_oracle

TOL = 1e-5
NAMES = sorted(PROGRAMS)


def _run_tfshare(phase: str, ckdir: str) -> dict:
    import tfshare.compat.v1 as tfc

    ns = {"tf": tfc, "IN": make_inputs()}
    exec(DRIVER, ns)
    out: dict = {}
    ns["run_programs"](PROGRAMS, phase, ckdir, out, lambda: tf.Graph().as_default())
    return out


def _oracle_code(odir: str, tdir: str) -> str:
    return (
        "_v1 = tf.compat.v1\n"
        + ORACLE_CONTRIB
        + DRIVER
        + f"PROGS = {PROGRAMS!r}\n"
        + f"run_programs(PROGS, 'train', {odir!r}, OUT, lambda: _v1.Graph().as_default())\n"
        + f"run_programs(PROGS, 'restore', {tdir!r}, OUT, lambda: _v1.Graph().as_default())\n"
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{"oracle": OUT, "tfshare": OUT, "tfshare_restored": OUT, dirs}``.

    The first xdist worker computes the oracle side (and the tfshare
    checkpoints it restores) under a lock in the session's shared temp root;
    the other reuses it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    base = root / "compat_programs"
    base.mkdir(exist_ok=True)
    odir, tdir = str(base / "oracle"), str(base / "tfshare")
    cache = base / "oracle_out.pkl"
    with open(base / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if cache.exists():
                with open(cache, "rb") as f:
                    oracle, tfshare = pickle.load(f)
            else:
                tfshare = _run_tfshare("train", tdir)
                oracle = run_oracle(_oracle_code(odir, tdir), make_inputs())
                with open(cache, "wb") as f:
                    pickle.dump((oracle, tfshare), f)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    restored = _run_tfshare("restore", odir)
    return {"oracle": oracle, "tfshare": tfshare, "tfshare_restored": restored,
            "odir": odir, "tdir": tdir}


def _no_errors(out: dict, name: str, who: str) -> None:
    errors = {k: v for k, v in out.items() if k.startswith(f"json:{name}/error/")}
    assert not errors, f"{who} failed on {name}:\n" + "\n".join(errors.values())


def _select(out: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in out.items() if k.startswith(prefix)}


def _assert_close(a: dict, b: dict, what: str) -> float:
    assert sorted(a) == sorted(b), f"{what}: different keys {sorted(a)} vs {sorted(b)}"
    worst = 0.0
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape, f"{what}/{k}: shape {x.shape} vs {y.shape}"
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))))
        np.testing.assert_allclose(x, y, rtol=TOL, atol=TOL, err_msg=f"{what}/{k}")
    return worst


@needs_oracle
@pytest.mark.parametrize("name", NAMES)
def test_variables_and_facts_match(runs, name):
    o, t = runs["oracle"], runs["tfshare"]
    _no_errors(o, name, "oracle")
    _no_errors(t, name, "tfshare")
    ojson = {k: v for k, v in o.items() if k.startswith(f"json:{name}/")}
    tjson = {k: v for k, v in t.items() if k.startswith(f"json:{name}/")}
    assert ojson, f"the oracle recorded nothing for {name}"
    assert tjson == ojson


@needs_oracle
@pytest.mark.parametrize("name", NAMES)
def test_outputs_and_training_match(runs, name):
    o, t = runs["oracle"], runs["tfshare"]
    _no_errors(t, name, "tfshare")
    oarr = _select({k: v for k, v in o.items() if not k.startswith("json:")}, f"{name}/")
    tarr = _select({k: v for k, v in t.items() if not k.startswith("json:")}, f"{name}/")
    oarr = {k: v for k, v in oarr.items() if not k.startswith("restored/")}
    assert oarr, f"the oracle produced no outputs for {name}"
    _assert_close(tarr, oarr, name)
    # training changed something (so "after" is a real comparison)
    before = _select(oarr, "before/")
    after = _select(oarr, "after/")
    if before and PROGRAMS[name].count("TRAIN = None") == 0:
        assert any(not np.allclose(before[k], after[k]) for k in before), "training did nothing"


def _checkpoint(path: str) -> dict:
    reader = tf.train.load_checkpoint(path)
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


@needs_oracle
@pytest.mark.parametrize("name", [n for n in NAMES if "SELF_CONTAINED" not in PROGRAMS[n]])
def test_saved_checkpoints_match(runs, name):
    _no_errors(runs["tfshare"], name, "tfshare")
    ock = _checkpoint(os.path.join(runs["odir"], name, "model"))
    tck = _checkpoint(os.path.join(runs["tdir"], name, "model"))
    assert sorted(tck) == sorted(ock)
    _assert_close(tck, ock, name + " checkpoint")


@needs_oracle
@pytest.mark.parametrize("name", [n for n in NAMES if "SELF_CONTAINED" not in PROGRAMS[n]])
def test_checkpoints_restore_across(runs, name):
    o, t, tr = runs["oracle"], runs["tfshare"], runs["tfshare_restored"]
    _no_errors(tr, name, "tfshare (restore)")
    _no_errors(o, name, "oracle")
    # oracle restored tfshare's checkpoint -> tfshare's trained outputs
    o_rest = _select(o, f"{name}/restored/")
    t_after = _select(t, f"{name}/after/")
    assert o_rest
    _assert_close(o_rest, t_after, name + " oracle<-tfshare")
    # tfshare restored the oracle's checkpoint -> the oracle's trained outputs
    t_rest = _select(tr, f"{name}/restored/")
    o_after = _select(o, f"{name}/after/")
    _assert_close(t_rest, o_after, name + " tfshare<-oracle")


@needs_oracle
def test_report_worst_difference(runs, capsys):
    """Prints the max abs difference per program (for the report); fails on none."""
    lines = []
    for name in NAMES:
        o = {k: v for k, v in runs["oracle"].items() if k.startswith(name + "/after/")
             or k.startswith(name + "/before/")}
        t = {k: runs["tfshare"][k] for k in o if k in runs["tfshare"]}
        if len(t) == len(o) and o:
            worst = max(float(np.max(np.abs(np.asarray(o[k], np.float64) - np.asarray(t[k], np.float64))))
                        if np.asarray(o[k]).size else 0.0 for k in o)
            lines.append(f"{name}: {worst:.2e}")
    with capsys.disabled():
        print("\nmax |oracle - tfshare| per program:\n  " + "\n  ".join(lines))
    assert lines
