"""Fault injection: weights survive crashes, concurrent readers, damaged and
hostile files, read-only directories and full disks.

Each test runs scenarios of ``tests/fault_scenarios.py`` in one subprocess,
which forks a child per trial (so a child can be SIGKILLed mid-save, given a
file-size limit, or run as an unprivileged user) and checks the result in
further children. The checks use two readers: tfshare's and TensorFlow's own
``tf.train.load_checkpoint``. Tensors hold ``100 * generation + index``, so a
read that mixes two saves is visible.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_scenarios(tmp_path, *names: str) -> dict:
    out = tmp_path / "faults.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "fault_scenarios.py"), str(out), *names],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    for name in names:
        assert "scenario_error" not in results[name], results[name]["scenario_error"]
    return results


def no_temporaries(files: list) -> bool:
    return not any(".tfshare-tmp-" in f for f in files)


def one_line(stderr: str) -> bool:
    return stderr.endswith("\n") and stderr.count("\n") == 1


def test_kill_at_every_step_of_a_save(tmp_path):
    """SIGKILL at the n-th filesystem step of a save, for every n: the previous
    checkpoint (or the new one, once its index is in place) loads whole, by
    path and through the directory's state file, in tfshare and in TF; the
    next save leaves no temporary and the user's files untouched."""
    trials = run_scenarios(tmp_path, "kill_points")["kill_points"]["trials"]
    *killed, last = trials
    assert not last["killed"] and last["steps_in_a_save"] == len(killed) >= 15
    seen = []
    for t in killed:
        assert t["killed"], t
        rec = t["recovery"]
        assert rec["status"] == "ok", (t["step"], rec)
        r = rec["value"]
        assert r["seen"]["tfshare"] == r["seen"]["tf"] == r["prefix_seen"]["tfshare"] \
            == r["prefix_seen"]["tf"], (t["step"], r)
        assert r["seen"]["tfshare"] in ([2], [3]), (t["step"], r)
        assert r["seen"]["names"] == ["t0", "t1", "t2", "t3"]
        assert r["after"]["tfshare"] == r["after"]["tf"] == [4]
        assert no_temporaries(r["files"]) and t["allowed"] and t["user_files"], (t["step"], r["files"])
        seen.append(r["seen"]["tfshare"][0])
    # the old checkpoint up to the switch, the new one after it; both sides covered
    assert seen == sorted(seen) and seen[0] == 2 and seen[-1] == 3


def test_kill_at_random_moments(tmp_path):
    trials = run_scenarios(tmp_path, "random_kills")["random_kills"]["trials"]
    assert len(trials) == 4
    for t in trials:
        assert t["recovery"]["status"] == "ok", t
        r = t["recovery"]["value"]
        assert r["seen"]["tfshare"] == r["seen"]["tf"], r
        (gen,) = r["seen"]["tfshare"]
        assert t["last_done"] <= gen <= t["last_done"] + 1, (t["last_done"], gen)
        assert r["after"]["tf"] == [10_000]
        assert no_temporaries(r["files"]) and t["allowed"] and t["user_files"], r["files"]


def test_concurrent_reader_sees_whole_checkpoints(tmp_path):
    """A reader polls while 40 saves replace the checkpoint: tfshare's reads
    never fail nor mix saves; TF's reader, which opens data files lazily, may
    fail if a save overtakes it but never returns mixed data."""
    res = run_scenarios(tmp_path, "concurrent_reader")["concurrent_reader"]
    assert res["reader"]["status"] == "ok", res
    stats = res["reader"]["value"]
    assert stats["tfshare_fail"] == [] and stats["tfshare_mixed"] == 0, stats
    assert stats["tf_mixed"] == 0, stats
    assert stats["tfshare_ok"] >= 20 and stats["gens"] >= 5, stats  # the reads did overlap the saves
    assert res["after"]["value"]["tfshare"] == [40]


def test_read_only_directory_and_full_disk(tmp_path):
    res = run_scenarios(tmp_path, "read_only", "full_disk")
    ro, full = res["read_only"], res["full_disk"]
    save = ro["save"]["value"]
    assert save["raised"] == "PermissionError"
    assert "Cannot write checkpoint '" in save["error"] and "Permission denied" in save["error"]
    for key in ("rename", "rename_subdir"):
        cli = ro[key]["value"]
        assert cli["code"] == 2 and one_line(cli["stderr"]), cli
        assert cli["stderr"].startswith("tfshare rename: error: Cannot write checkpoint '")
        assert "Permission denied" in cli["stderr"]
    assert ro["unchanged"] and ro["still"]["value"]["tf"] == [2]

    save = full["save"]["value"]
    assert save["raised"] == "OSError" and "File too large" in save["error"], save
    assert "full/model'" in save["error"]
    cli = full["rename"]["value"]
    assert cli["code"] == 2 and one_line(cli["stderr"]) and "File too large" in cli["stderr"], cli
    assert full["unchanged"], "a failed write left files behind or touched the user's"
    assert full["still"]["value"]["tfshare"] == full["still"]["value"]["tf"] == [2]


def test_byte_mutation_fuzz(tmp_path):
    """25 derandomized hypothesis examples per format, plus one that destroys the
    first interpreted byte: no crash, hang or stray exception; a damaged ``.data``
    is always caught (CRC32C). Which examples hypothesis derives depends on its
    version, so the floor on detected damage is low and the explicit example
    guarantees some."""
    res = run_scenarios(tmp_path, "fuzz")["fuzz"]
    for kind in ("index", "data", "h5", "keras"):
        r = res[kind]
        assert r["examples"] == 26 and r["bad"] == [], (kind, r)
        assert r["outcomes"].get("clean", 0) >= 3, (kind, r)  # damage was met, not only missed
    assert res["data"]["outcomes"] == {"clean": 26}


def test_memory_bounds(tmp_path):
    """Peak RSS over the floor (64 MB tensors): restore <= 1.3x the restored
    bytes; save and rename ~ the largest tensor plus a constant; listing a
    .keras whose deflated member is 192 MB ~ nothing."""
    m = run_scenarios(tmp_path, "memory")["memory"]
    mb = m["mb"]
    over = {k: m[k]["value"]["over_mb"] for k in ("save", "restore_tf", "rename", "list_keras")}
    assert m["rename"]["value"]["code"] == 0
    assert over["restore_tf"] <= 1.3 * mb, over
    assert over["save"] <= 0.5 * mb, over          # the variables are read in place
    assert over["rename"] <= mb + 96, over          # one tensor at a time, plus a constant
    assert over["list_keras"] <= 32 and m["keras_file_mb"] < 1, over
