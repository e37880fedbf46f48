"""Fault-injection scenarios for ``tests/test_faults.py``.

Run as ``python tests/fault_scenarios.py OUT.json [scenario ...]``. This process
imports tfshare (and TensorFlow) but runs no TensorFlow op itself: every step
that touches a checkpoint runs in a forked child, which may be SIGKILLed at a
chosen point of a save, run with a file-size limit, or run as an unprivileged
user; its work is then checked in further forked children. Forking a process
that has only imported TensorFlow is safe (its runtime starts in the child).
The results, one JSON object per scenario, go to ``OUT.json``.
"""
from __future__ import annotations

import io
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import zipfile

import numpy as np

import tfshare
from tfshare import cli
from tfshare.checkpoint import writer as writer_mod

USER_FILES = {"model.data-README.txt": b"my notes", "model.data-00000-of-00001.backup": b"backup",
              ".model.keep": b"hidden", "notes.tmp": b"temp of mine"}
CHILD_SECONDS = 120


# ------------------------------------------------------------------ children
def in_child(fn, *args, setup=None) -> dict:
    """Run ``fn(*args)`` in a forked child; ``{"status": "ok", "value": ...}``,
    ``{"status": "error", "type", "error"}`` or ``{"status": "killed", "signal"}``."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(r)
        signal.alarm(CHILD_SECONDS)
        try:
            if setup is not None:
                setup()
            payload = {"status": "ok", "value": fn(*args)}
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            payload = {"status": "error", "type": type(e).__name__, "error": str(e)[:2000]}
        data = json.dumps(payload, default=str).encode()
        while data:
            data = data[os.write(w, data):]
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return {"status": "killed", "signal": os.WTERMSIG(status)}
    return json.loads(b"".join(chunks).decode())


def gen_values(gen: int, n: int = 4, size: int = 4096) -> dict:
    """Tensor ``t<i>`` holds ``100 * gen + i`` everywhere: a read tells its generation."""
    return {f"t{i}": np.full(size, 100 * gen + i, np.float32) for i in range(n)}


def generations(path: str) -> dict:
    """The generations the tensors of ``path`` come from, read by tfshare and by TF."""
    import tensorflow as tf

    out = {}
    with tfshare.open_checkpoint(path) as reader:
        values = reader.read_many(list(reader.variables))
        out["tfshare"] = sorted({_gen(n, v) for n, v in values.items()})
        prefix = reader.path
    tf_reader = tf.train.load_checkpoint(prefix)
    names = sorted(tf_reader.get_variable_to_shape_map())
    out["tf"] = sorted({_gen(n, tf_reader.get_tensor(n)) for n in names})
    out["names"] = names
    return out


def _gen(name: str, value) -> int:
    a = np.asarray(value)
    if not np.all(a == a.flat[0]):
        return -1  # not one generation's value
    gen, i = divmod(int(a.flat[0]), 100)
    return gen if i == int(name[1:]) else -1


def listing(d: str) -> dict:
    return {f: open(os.path.join(d, f), "rb").read() if f in USER_FILES else None
            for f in sorted(os.listdir(d))}


def add_user_files(d: str) -> None:
    for name, data in USER_FILES.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def user_files_intact(d: str) -> bool:
    return all(open(os.path.join(d, n), "rb").read() == data for n, data in USER_FILES.items())


def save_gen(d: str, gen: int, **kw) -> str:
    return tfshare.write_checkpoint(os.path.join(d, "model"), gen_values(gen, **kw))


def recover_and_check(d: str, gen: int) -> dict:
    """After a crash: what a reader sees, then a save, then what is left."""
    seen = generations(d)
    prefix_seen = generations(os.path.join(d, "model"))
    save_gen(d, gen)
    after = generations(d)
    return {"seen": seen, "prefix_seen": prefix_seen, "after": after,
            "files": sorted(os.listdir(d))}


def allowed_files(files: list) -> bool:
    """Only the live checkpoint, one retired shard set, the state and lock files, and the user's."""
    rest = [f for f in files if f not in USER_FILES
            and f not in (".tfshare-lock", "checkpoint", "model.index")]
    counts = {f.rsplit("-of-", 1)[1] for f in rest if f.startswith("model.data-")}
    return all(f.startswith("model.data-") for f in rest) and len(counts) <= 2


# ---------------------------------------------------------------- scenarios
def scenario_kill_points(base: str) -> dict:
    """SIGKILL at every filesystem step of a save (each ``os.replace``,
    ``os.remove``, ``os.fsync`` and before each ``SaveV2``), one step per trial."""
    template = os.path.join(base, "template")
    os.makedirs(template)
    add_user_files(template)
    res = in_child(lambda: [save_gen(template, 1), save_gen(template, 2)][-1],
                   setup=lambda: setattr(writer_mod, "GROUP_BYTES", 9000))
    assert res["status"] == "ok", res
    trials = []
    for step in range(1, 60):
        d = os.path.join(base, f"step{step}")
        shutil.copytree(template, d)
        crash = in_child(_trapped_save, d, step)
        if crash["status"] == "ok":  # the save finished before reaching this step
            trials.append({"step": step, "killed": False, "steps_in_a_save": crash["value"]})
            break
        after = in_child(recover_and_check, d, 4)
        trials.append({"step": step, "killed": crash.get("signal") == signal.SIGKILL,
                       "crash": crash, "recovery": after, "user_files": user_files_intact(d),
                       "allowed": allowed_files(after.get("value", {}).get("files", []))})
    return {"trials": trials}


def _trapped_save(d: str, step: int) -> int:
    writer_mod.GROUP_BYTES = 9000  # two tensors per SaveV2 group: several groups
    calls = [0]

    def trap(fn):
        def wrapped(*a, **k):
            calls[0] += 1
            if calls[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*a, **k)
        return wrapped

    os.replace, os.remove, os.fsync = trap(os.replace), trap(os.remove), trap(os.fsync)
    writer_mod._save_v2 = trap(writer_mod._save_v2)
    save_gen(d, 3)
    return calls[0]


def scenario_random_kills(base: str, trials: int = 4, seed: int = 13) -> dict:
    """SIGKILL a process saving in a loop at a random (seeded) moment."""
    rng = random.Random(seed)
    out = []
    for t in range(trials):
        d = os.path.join(base, f"trial{t}")
        os.makedirs(d)
        add_user_files(d)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(r)
            signal.alarm(CHILD_SECONDS)
            gen = 1
            while True:
                save_gen(d, gen, size=1 << 18)  # 4 x 1 MB
                os.write(w, b"%d\n" % gen)
                gen += 1
        os.close(w)
        first = b""
        while not first.endswith(b"\n"):
            first += os.read(r, 1)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        done = [int(x) for x in (first + _drain(r)).split()]
        os.close(r)
        after = in_child(recover_and_check, d, 10_000)
        out.append({"last_done": max(done), "recovery": after, "user_files": user_files_intact(d),
                    "allowed": allowed_files(after.get("value", {}).get("files", []))})
    return {"trials": out}


def _drain(fd: int) -> bytes:
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


def scenario_concurrent_reader(base: str, saves: int = 40) -> dict:
    """A reader polls a path while another process saves to it again and again."""
    d = os.path.join(base, "ck")
    os.makedirs(d)
    res = in_child(lambda: save_gen(d, 0, size=1 << 16))
    assert res["status"] == "ok", res
    done_flag = os.path.join(base, "writer_done")
    ready_flag = os.path.join(base, "reader_ready")

    def writer() -> int:
        while not os.path.exists(ready_flag):  # overlap the saves with reads
            time.sleep(0.01)
        for gen in range(1, saves + 1):
            save_gen(d, gen, size=1 << 16)
            time.sleep(0.005)
        open(done_flag, "w").close()
        return saves

    def reader() -> dict:
        import tensorflow as tf

        stats = {"tfshare_ok": 0, "tfshare_fail": [], "tfshare_mixed": 0,
                 "tf_ok": 0, "tf_fail": 0, "tf_mixed": 0, "gens": set()}
        while not os.path.exists(done_flag):
            try:
                with tfshare.open_checkpoint(d) as rd:
                    values = rd.read_many(list(rd.variables))
                gens = {_gen(n, v) for n, v in values.items()}
                stats["tfshare_ok"] += 1
                stats["gens"] |= gens
                stats["tfshare_mixed"] += len(gens) != 1 or -1 in gens
            except Exception as e:  # noqa: BLE001 - counted
                stats["tfshare_fail"].append(f"{type(e).__name__}: {e}"[:300])
            if not os.path.exists(ready_flag):
                open(ready_flag, "w").close()
            try:
                rd = tf.train.load_checkpoint(os.path.join(d, "model"))
                gens = {_gen(n, rd.get_tensor(n)) for n in rd.get_variable_to_shape_map()}
                stats["tf_ok"] += 1
                stats["tf_mixed"] += len(gens) != 1 or -1 in gens
            except tf.errors.OpError:
                stats["tf_fail"] += 1
        stats["gens"] = len(stats["gens"])
        return stats

    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        signal.alarm(CHILD_SECONDS)
        try:
            writer()
        finally:
            open(done_flag, "a").close()
            os._exit(0)
    stats = in_child(reader)
    os.waitpid(pid, 0)
    return {"reader": stats, "after": in_child(generations, d)}


def _unprivileged() -> None:
    if os.geteuid() == 0:  # root ignores permission bits: become nobody
        os.setgid(65534)
        os.setuid(65534)


def _cli(argv: list) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, stdout=out, stderr=err)
    return {"code": code, "stderr": err.getvalue()}


def _expect_oserror(fn) -> dict:
    try:
        fn()
    except OSError as e:
        return {"raised": type(e).__name__, "error": str(e)}
    return {"raised": None}


def scenario_read_only(base: str) -> dict:
    """``save`` and ``rename`` into a directory the process may not write."""
    src = os.path.join(base, "src")
    d = os.path.join(base, "ro")
    os.makedirs(d)
    assert in_child(save_gen, src, 1)["status"] == "ok"
    assert in_child(save_gen, d, 2)["status"] == "ok"
    before = listing(d)
    os.chmod(d, 0o555)
    try:
        save = in_child(lambda: _expect_oserror(lambda: save_gen(d, 3)), setup=_unprivileged)
        rename = in_child(_cli, ["rename", os.path.join(src, "model"), os.path.join(d, "model")],
                          setup=_unprivileged)
        fresh = in_child(_cli, ["rename", os.path.join(src, "model"), os.path.join(d, "sub", "m")],
                         setup=_unprivileged)
    finally:
        os.chmod(d, 0o755)
    return {"save": save, "rename": rename, "rename_subdir": fresh,
            "unchanged": listing(d) == before, "still": in_child(generations, d)}


def scenario_full_disk(base: str) -> dict:
    """``save`` and ``rename`` with a file-size limit (``ulimit -f``): EFBIG mid-write."""
    src = os.path.join(base, "src")
    d = os.path.join(base, "full")
    assert in_child(lambda: save_gen(src, 1, size=1 << 16))["status"] == "ok"
    assert in_child(lambda: save_gen(d, 2, size=16))["status"] == "ok"
    add_user_files(d)
    before = listing(d)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    save = in_child(lambda: _expect_oserror(lambda: save_gen(d, 3, size=1 << 16)), setup=limit)
    rename = in_child(_cli, ["rename", os.path.join(src, "model"), os.path.join(d, "model")],
                      setup=limit)
    return {"save": save, "rename": rename, "unchanged": listing(d) == before,
            "still": in_child(generations, d)}


# --------------------------------------------------------------------- fuzz
def _make_fuzz_inputs(d: str) -> dict:
    import keras

    tfshare.write_checkpoint(os.path.join(d, "tf", "model"), gen_values(1, n=3, size=16))
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="a"),
                          keras.layers.Dense(2, name="b")], name="seq")
    m.save_weights(os.path.join(d, "m.weights.h5"))
    m.save(os.path.join(d, "m.keras"))
    return {"names": sorted(os.listdir(d))}


def _fuzz_child(path: str, original: dict | None) -> dict:
    """List and restore ``path`` into zeros: ``ok`` or ``clean`` (a
    CheckpointError, targets unchanged); anything else is reported."""
    import tensorflow as tf

    from tfshare.errors import CheckpointError

    target = {}
    try:
        infos = tfshare.list_variables(path)
        target = {i.name: tf.Variable(np.zeros(i.shape, i.dtype)) for i in infos
                  if i.dtype == "float32" and i.size < 10_000}
        if not target:
            return {"outcome": "clean", "why": "nothing to restore"}
        tfshare.restore(target, path)
    except CheckpointError as e:
        if any(np.any(v.numpy()) for v in target.values()):
            return {"outcome": "changed-on-error", "error": str(e)[:300]}
        return {"outcome": "clean", "why": str(e)[:200]}
    got = {n: v.numpy().tolist() for n, v in target.items()}
    if original is not None and got != original:
        return {"outcome": "wrong-values"}
    return {"outcome": "ok"}


def _fuzz_one(base: str, src: str, kind: str, rel: str, member: str | None, examples: int,
              original: dict | None) -> dict:
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    outcomes: dict = {}
    bad: list = []
    counter = [0]
    victim_rel = os.path.join(rel, member) if member else rel
    lo, hi = 0, os.path.getsize(os.path.join(src, victim_rel))
    if kind == "keras":  # mutate the weights member's bytes, what a reader interprets
        with zipfile.ZipFile(os.path.join(src, victim_rel)) as z:
            info = z.getinfo("model.weights.h5")
        with open(os.path.join(src, victim_rel), "rb") as f:
            f.seek(info.header_offset + 26)
            lens = np.frombuffer(f.read(4), "<u2")
        lo = info.header_offset + 30 + int(lens.sum())
        hi = lo + info.compress_size

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(lo, hi - 1), st.integers(1, 255)), min_size=1, max_size=4,
                    unique_by=lambda m: m[0]))
    # the first interpreted byte destroyed: damage every reader must meet, whatever
    # examples this hypothesis version derives
    @example([(lo, 255)])
    def check(mutations):
        counter[0] += 1
        work = os.path.join(base, f"{kind}_{counter[0]}")
        shutil.copytree(src, work)
        victim = os.path.join(work, victim_rel)
        data = bytearray(open(victim, "rb").read())
        for pos, xor in mutations:
            data[pos] ^= xor
        with open(victim, "wb") as f:
            f.write(bytes(data))
        path = os.path.join(work, "tf", "model") if rel == "tf" else victim
        res = in_child(_fuzz_child, path, original)
        shutil.rmtree(work)
        outcome = res.get("value", {}).get("outcome") if res["status"] == "ok" else res["status"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome not in ("ok", "clean") or (kind == "data" and outcome != "clean"):
            bad.append({"mutations": mutations, "result": res})

    check()
    return {"outcomes": outcomes, "bad": bad[:5], "examples": counter[0]}


def scenario_fuzz(base: str, examples: int = 25) -> dict:
    """Byte mutations (hypothesis, bounded and derandomized) of a TF ``.index``,
    a ``.data`` shard, a ``.weights.h5`` and a ``.keras``: every outcome is a
    restore or a CheckpointError with nothing changed, never another exception,
    a crash or a hang."""
    src = os.path.join(base, "inputs")
    made = in_child(_make_fuzz_inputs, src)
    assert made["status"] == "ok", made
    tf_original = {f"t{i}": np.full(16, 100 + i, np.float32).tolist() for i in range(3)}
    targets = {"index": ("tf", "model.index"), "data": ("tf", "model.data-00000-of-00001"),
               "h5": ("m.weights.h5", None), "keras": ("m.keras", None)}
    report = {}
    for kind, (rel, member) in targets.items():
        report[kind] = _fuzz_one(base, src, kind, rel, member, examples,
                                 tf_original if rel == "tf" else None)
    return report


# ------------------------------------------------------------------- memory
def _status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024


def _rss_mb() -> float:
    """Reset the high-water mark (``/proc/self/clear_refs``); the resident set now."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    """The high-water mark of the resident set since the last reset."""
    return _status_mb("VmHWM")


def _restore_peak(path: str, name: str, shape: tuple) -> dict:
    import tensorflow as tf

    v = tf.Variable(tf.zeros(shape))
    base = _rss_mb()
    tfshare.restore({name: v}, path)
    return {"over_mb": _peak_mb() - base, "check": float(v[0, 0])}


def _list_peak(path: str) -> dict:
    base = _rss_mb()
    infos = tfshare.list_variables(path)
    return {"over_mb": _peak_mb() - base, "n": len(infos)}


def _save_peak(n: int, shape: tuple, prefix: str) -> dict:
    import tensorflow as tf

    vs = {f"v{i}": tf.Variable(tf.fill(shape, float(i))) for i in range(n)}
    base = _rss_mb()
    tfshare.save(vs, prefix)
    return {"over_mb": _peak_mb() - base}


def _rename_peak(src: str, dst: str) -> dict:
    base = _rss_mb()
    res = _cli(["rename", src, dst, "--map", "v0=w0"])
    return dict(res, over_mb=_peak_mb() - base)


def scenario_memory(base: str, mb: int = 64) -> dict:
    """Peak memory over the floor: restore ~ the restored bytes, save/rename ~
    the largest tensor, listing a large deflated ``.keras`` member ~ nothing."""
    import h5py

    rows = mb * 2**20 // 4 // 1000
    shape = (rows, 1000)
    out = {"mb": mb}
    prefix = os.path.join(base, "big", "model")
    out["save"] = in_child(_save_peak, 3, shape, prefix)
    out["restore_tf"] = in_child(_restore_peak, prefix, "v1", shape)
    out["rename"] = in_child(_rename_peak, prefix, os.path.join(base, "renamed", "model"))
    # a .keras whose weights member is a deflated dataset of zeros (3 * mb MB)
    h5 = os.path.join(base, "model.weights.h5")
    with h5py.File(h5, "w") as f:
        f.create_group("layers/big/vars").create_dataset(
            "0", data=np.zeros((3 * rows, 1000), np.float32))
    kpath = os.path.join(base, "zeros.keras")
    with zipfile.ZipFile(kpath, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        z.write(h5, "model.weights.h5")
    os.remove(h5)
    out["keras_file_mb"] = os.path.getsize(kpath) / 2**20
    out["list_keras"] = in_child(_list_peak, kpath)
    return out


SCENARIOS = {"kill_points": scenario_kill_points, "random_kills": scenario_random_kills,
             "concurrent_reader": scenario_concurrent_reader, "read_only": scenario_read_only,
             "full_disk": scenario_full_disk, "fuzz": scenario_fuzz, "memory": scenario_memory}


def main(argv: list) -> None:
    out_path, names = argv[0], argv[1:] or list(SCENARIOS)
    root = tempfile.mkdtemp(prefix="tfshare_faults_")
    os.chmod(root, 0o755)  # an unprivileged child must reach it
    results = {}
    try:
        for name in names:
            base = os.path.join(root, name)
            os.makedirs(base)
            t0 = time.perf_counter()
            try:
                results[name] = SCENARIOS[name](base)
            except Exception as e:  # noqa: BLE001 - reported, the test fails on it
                results[name] = {"scenario_error": f"{type(e).__name__}: {e}"}
            results[name]["seconds"] = round(time.perf_counter() - t0, 2)
            print(f"{name}: {results[name]['seconds']} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with open(out_path, "w") as f:
        json.dump(results, f, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
