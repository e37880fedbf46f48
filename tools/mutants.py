#!/usr/bin/env python
"""Mutation check: does the test suite catch a handful of named, realistic bugs?

For each mutation below, this script copies the package (``tfshare/``, with
``compat/`` as ``tfshare/compat``) to a fresh temporary directory, applies the
mutation's text replacements there (each must match exactly as often as stated,
so a refactor of the code makes the script fail loudly instead of silently
mutating nothing), checks that Python imports the mutated copy (``PYTHONPATH``
puts the copy first; the module paths are printed), and runs the mutation's
test files against it. A mutation is *caught* when at least one of those tests
fails; the report gives the number of failing tests. A first run on the
unmutated copy (``--no-baseline`` skips it) shows those tests pass as they
are, so a failure is the mutation's doing.

Not part of CI and not collected by pytest (it lives in ``tools/``). Run it
before closing work that touches the cells, the fast path, restore or the
error texts, and add a test when a mutation is not caught::

    .venv/bin/python tools/mutants.py                 # all, about 8 minutes on 2 cores
    .venv/bin/python tools/mutants.py --only restore_assigns_while_reading
    .venv/bin/python tools/mutants.py --list

Exit status 0 when every mutation is caught, 1 otherwise, 2 when a pattern is
not found or the copy is not what gets imported.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    what: str
    #: ``(file relative to the copy's root, old text, new text, times old occurs)``
    edits: tuple
    #: pytest arguments (test files relative to the repository, ``-k`` expressions)
    tests: tuple


MUTATIONS = [
    Mutation(
        "lstm_gate_order", "BasicLSTMCell/LSTMCell split the kernel's columns as i, f, j, o",
        (("tfshare/cells/lstm.py", "i, j, f, o = tf.split(z, 4, axis=1)",
          "i, f, j, o = tf.split(z, 4, axis=1)", 2),),
        ("tests/test_cells_oracle.py", "-k", "golden_keras_mode or golden_tf1_mode")),
    Mutation(
        "basic_rnn_weight_name", "BasicRNNCell names its kernel 'weights' instead of 'kernel'",
        (("tfshare/cells/basic_rnn.py", 'WeightSpec("kernel", (input_depth + n, n))',
          'WeightSpec("weights", (input_depth + n, n))', 1),
         ("tfshare/cells/basic_rnn.py", 'weights["kernel"]', 'weights["weights"]', 1)),
        ("tests/test_cells_names.py",)),
    Mutation(
        "dropout_state_filter_ignored", "DropoutWrapper drops every state leaf (filter ignored)",
        (("tfshare/cells/wrappers.py",
          "decision = self._state_filter(v) if use_filter else True", "decision = True", 1),),
        ("tests/test_cells_dropout.py", "tests/test_cells_keras.py", "tests/test_cells_oracle.py",
         "-k", "(dropout or filter or variational) and not stale")),
    Mutation(
        "fastpath_backward_no_output_peephole",
        "the fast LSTM backward drops the output gate's peephole term (dc += dzo * w_o)",
        (("tfshare/_fused_lstm.py", "            dcc = dcc + dzo * w.w_o\n",
          "            dcc = dcc\n", 1),),
        ("tests/test_rnn_oracle.py", "-k", "gradients")),
    Mutation(
        "fastpath_backward_no_input_forget_peepholes",
        "the fast LSTM backward drops the input and forget gates' peephole terms from dc_prev",
        (("tfshare/_fused_lstm.py",
          "            dc_prev = dc_prev + dzi * w.w_i + dzf * w.w_f\n",
          "            dc_prev = dc_prev\n", 1),),
        ("tests/test_rnn_oracle.py", "-k", "gradients")),
    Mutation(
        "restore_assigns_while_reading",
        "restore assigns each variable as soon as its tensor is read",
        (("tfshare/checkpoint/restore.py",
          "        values = reader.read_many(m.source for _, m in result.assignments)\n",
          "        values = {}\n"
          "        for var, m in result.assignments:\n"
          "            values[m.source] = reader.read(m.source)\n"
          "            if sess is None:\n"
          "                _assign_eager(var, values[m.source])\n"
          "            else:\n"
          "                _assign_graph([(var, values[m.source])], sess)\n", 1),),
        ("tests/test_checkpoint.py", "tests/test_checkpoint_safety.py")),
    Mutation(
        "error_text_already_exists",
        "the 'Variable ... already exists, disallowed' error says 'not allowed'",
        (("tfshare/errors.py", "already exists, disallowed. Did you mean",
          "already exists, not allowed. Did you mean", 1),),
        ("tests/test_variables.py",)),
]


def make_copy(dest: str) -> None:
    """``dest/tfshare`` = the package, ``dest/tfshare/compat`` = ``compat/`` (the layout
    the installed package has), without caches."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(os.path.join(ROOT, "tfshare"), os.path.join(dest, "tfshare"), ignore=ignore)
    assert not os.path.exists(os.path.join(dest, "tfshare", "compat"))
    shutil.copytree(os.path.join(ROOT, "compat"), os.path.join(dest, "tfshare", "compat"),
                    ignore=ignore)
    with open(os.path.join(dest, PLUGIN + ".py"), "w", encoding="utf-8") as f:
        f.write(_PLUGIN_CODE.format(dest=dest))


#: a pytest plugin (``-p``) that stops the run unless the tests see the copy
PLUGIN = "_tfshare_mutant_check"
_PLUGIN_CODE = """
import os


def pytest_collection_finish(session):
    import tfshare
    import tfshare.compat

    for module in (tfshare, tfshare.compat):
        if not module.__file__.startswith({dest!r} + os.sep):
            raise RuntimeError(f"the tests import {{module.__file__}}, not the mutated copy")
"""


def _mutated(mutation: Mutation, rel: str, text: str, old: str, new: str, count: int) -> str:
    found = text.count(old)
    if found != count:
        raise SystemExit(f"{mutation.name}: {rel} holds {found} copies of {old!r}, "
                         f"expected {count}: update the mutation to the code")
    return text.replace(old, new)


def check_patterns(mutation: Mutation) -> None:
    """Every edit of ``mutation`` matches the repository's sources as often as stated."""
    for rel, old, new, count in mutation.edits:
        source = re.sub(r"^tfshare/compat/", "compat/", rel)
        with open(os.path.join(ROOT, source), encoding="utf-8") as f:
            _mutated(mutation, rel, f.read(), old, new, count)


def apply(mutation: Mutation, dest: str) -> None:
    for rel, old, new, count in mutation.edits:
        path = os.path.join(dest, rel)
        with open(path, encoding="utf-8") as f:
            text = _mutated(mutation, rel, f.read(), old, new, count)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def environment(dest: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([dest, os.environ.get("PYTHONPATH", "")]),
               PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    return env


def check_imports(mutation: Mutation | None, dest: str) -> None:
    """The copy in ``dest`` is what ``import tfshare`` (and ``tfshare.compat``, and each
    mutated module) loads; prints the paths."""
    modules = ["tfshare", "tfshare.compat.v1"]
    for rel, *_ in (mutation.edits if mutation else ()):
        modules.append(rel[:-3].replace("/", "."))
    code = ("import importlib, sys\n"
            f"for name in {sorted(set(modules))!r}:\n"
            "    print(name, importlib.import_module(name).__file__)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=dest, env=environment(dest),
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.split()
    paths = lines[1::2]
    print("    imports: " + ", ".join(f"{n} <- {p}" for n, p in zip(lines[::2], paths)))
    if proc.returncode or not paths or not all(p.startswith(dest + os.sep) for p in paths):
        raise SystemExit(f"the mutated copy in {dest} is not what gets imported:\n"
                         f"{proc.stdout}{proc.stderr[-2000:]}")


def run_tests(args: tuple, dest: str, workers: int) -> tuple[int, int, str]:
    """``(failed, passed, summary line)`` of pytest on ``args`` against the copy."""
    args = [os.path.join(ROOT, a) if a.startswith("tests/") else a for a in args]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--rootdir={ROOT}",
           "-p", PLUGIN, "-n", str(workers), *args]
    # cwd = the copy, never the repository: `python -m` puts cwd first on sys.path
    proc = subprocess.run(cmd, cwd=dest, env=environment(dest), capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode not in (0, 1):  # 2-5: interrupted, internal error, usage, nothing run
        raise SystemExit(f"pytest failed to run (exit {proc.returncode}, {' '.join(cmd)}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    tail = [line for line in proc.stdout.splitlines() if line.strip()]
    summary = tail[-1] if tail else proc.stderr[-500:]

    def count(word):
        m = re.search(rf"(\d+) {word}", summary)
        return int(m.group(1)) if m else 0

    failed = count("failed") + count("errors?")
    passed = count("passed")
    if failed == 0 and passed == 0:
        raise SystemExit(f"pytest ran nothing ({' '.join(cmd)}):\n{proc.stdout[-3000:]}"
                         f"\n{proc.stderr[-3000:]}")
    return failed, passed, summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", help="run these mutations (names) only")
    p.add_argument("--list", action="store_true", help="list the mutations and exit")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the run of every selected test on the unmutated copy")
    p.add_argument("--workers", type=int, default=0, help="pytest-xdist workers (-n)")
    args = p.parse_args(argv)
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:44s} {m.what}\n{'':44s} tests: {' '.join(m.tests)}")
        return 0
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    unknown = set(args.only or ()) - {m.name for m in MUTATIONS}
    if unknown:
        raise SystemExit(f"unknown mutations: {sorted(unknown)}")

    for m in chosen:  # every pattern is where it should be before anything runs
        check_patterns(m)
    start = time.time()
    if not args.no_baseline:
        print("baseline (unmutated copy) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="tfshare_mutant_") as dest:
            make_copy(dest)
            check_imports(None, dest)
            for tests in dict.fromkeys(m.tests for m in chosen):
                failed, passed, summary = run_tests(tests, dest, args.workers)
                print(f"    {' '.join(tests)}: {summary}", flush=True)
                if failed:
                    raise SystemExit("the unmutated package fails these tests: fix them first")

    results = []
    for m in chosen:
        print(f"{m.name}: {m.what}", flush=True)
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="tfshare_mutant_") as dest:
            make_copy(dest)
            apply(m, dest)
            check_imports(m, dest)
            failed, passed, summary = run_tests(m.tests, dest, args.workers)
        results.append((m, failed, passed))
        verdict = f"caught by {failed} tests" if failed else "NOT CAUGHT"
        print(f"    {verdict} ({summary}; {time.time() - t0:.0f} s)", flush=True)

    print(f"\nmutation report ({time.time() - start:.0f} s):")
    for m, failed, passed in results:
        verdict = f"caught by {failed} of {failed + passed} tests" if failed else "NOT CAUGHT"
        print(f"  {m.name:44s} {verdict}")
    missed = [m.name for m, failed, _ in results if not failed]
    if missed:
        print(f"not caught: {', '.join(missed)}: add tests that fail on them")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
