"""Every code block and command line of the docs runs as written.

Pages: ``README.md``, ``examples/README.md``, ``benchmarks/README.md``,
``docs/*.md``. From each page the test takes

* fenced blocks: ``python`` blocks run, each page's blocks in order in one
  namespace (later blocks build on earlier ones), every page in ONE subprocess
  (``DRIVER``); ``bash``/``sh`` blocks run line by line (a line's ``# comment``
  is dropped, ``a && b`` is two commands); ``text`` blocks are output listings
  and are not run; any other block must be marked, in the page, with
  ``<!-- not-run: reason -->`` on the line before its fence -- an unmarked block
  of another kind fails the test;
* command lines in running text: inline code that starts with ``python ``,
  ``tfshare `` or ``pip `` (e.g. the example commands of ``examples/README.md``).

Every command runs as written unless the table ``COMMANDS`` below says otherwise,
visibly: a substitution (tiny settings for a long run), ``ARGS`` (the command
line is parsed by the script's own ``argparse`` parser, all such commands in one
process; the script's real run is covered elsewhere, named in the reason) or
``NOT_RUN`` with a reason. Files the snippets read (a TF1 checkpoint, a Keras
model's checkpoint, programs for ``tfshare doctor``) are made with the package
itself by ``FIXTURE`` in a temporary directory; each page runs in its own copy of it;
names a page's Python uses without defining them come from
``PY_SETUP`` (shown with the page).
"""
from __future__ import annotations

import dataclasses
import glob
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md", "examples/README.md", "benchmarks/README.md"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))

RUN_LANGS = {"python", "bash", "sh"}
NOT_RUN_LANGS = {"text"}
MARK = re.compile(r"<!--\s*not-run:\s*(\S.*?)\s*-->")

# ---------------------------------------------------------------------------
# What does not run as written (visible, per command)
# ---------------------------------------------------------------------------

ARGS = "args"          # parse the command line with the script's own parser only
NOT_RUN = "not-run"

#: command as written in the docs -> (action, detail). Action: a replacement
#: command line (run instead), ``ARGS`` (reason in detail), ``NOT_RUN`` (reason).
COMMANDS: dict[str, tuple[str, str]] = {
    # README.md
    'pip install -e ".[examples]"': (NOT_RUN, "installs; test_pip_extras_exist checks the extra"),
    'pip install -e ".[test]"': (NOT_RUN, "installs; test_pip_extras_exist checks the extra"),
    "python -m pytest -n 2 -q tests": (NOT_RUN, "the suite itself (test_examples: CI runs it)"),
    "python examples/migrate_char_rnn.py": (ARGS, "run with tiny settings by test_examples.py"),
    "tfshare inspect | diff | plan | rename": (NOT_RUN, "list of subcommands"),
    "tfshare doctor PATH...": (NOT_RUN, "usage synopsis (run on files in docs/doctor.md)"),
    "tfshare doctor": (NOT_RUN, "the subcommand's name in a sentence"),
    "tfshare rename": (NOT_RUN, "the subcommand's name in a sentence"),
    "tfshare <command>: error: <file>: <cause>": (NOT_RUN, "an error line's format"),
    "tfshare doctor: error: <file>: <reason>": (NOT_RUN, "an error line's format"),
    # benchmarks/README.md: minutes each; flags checked, one tiny real run below
    "python benchmarks/bench_rnn.py": (ARGS, "full run takes minutes"),
    "python benchmarks/bench_rnn.py --quick": (
        "python benchmarks/bench_rnn.py --quick --shapes 2x3x4x5 --cells lstm --seq no"
        " --rows keras,tfshare_rnn --no-eager --reps 1", "tiny shape, two rows, one repetition"),
    "python benchmarks/bench_rnn.py --shapes medium,32x100x64x512 --cells lstm --seq no --reps 9":
        (ARGS, "minutes"),
    "python benchmarks/bench_rnn.py --rows keras,dynamic_rnn,tfshare_rnn,bound --no-eager"
    " --json out.json":
        (ARGS, "minutes"),
    "python benchmarks/bench_rnn.py --profile --reps 9": (ARGS, "minutes"),
    "python benchmarks/bench_rnn.py --reps 7 --rows keras,keras_xla,legacy_tf1,dynamic_rnn,"
    "dynamic_rnn_exact,fast_xla,static_rnn,static_rnn_fused,bidir_dynamic,"
    "keras_rnn_tfshare_cell,tfshare_rnn,bound": (ARGS, "ten minutes"),
    "python benchmarks/bench_restore.py --part 1": (ARGS, "writes a 1 GB checkpoint"),
    "python benchmarks/bench_restore.py --part 2": (ARGS, "800 MB tensors"),
    "python benchmarks/bench_seq2seq.py": (ARGS, "needs the TF 1.15 oracle, minutes"),
    "python benchmarks/bench_seq2seq.py --quick": (ARGS, "needs the TF 1.15 oracle, minutes"),
    "pip install torch": (NOT_RUN, "installs packages (optional benchmark row)"),
    # docs/oracles.md, docs/contrib.md, docs/seq2seq.md: the oracle and its goldens
    "tools/make_tf1_oracle.sh": (NOT_RUN, "builds a Python 3.7 TF 1.15 virtualenv (network)"),
    "python tests/fixtures/make_program_fixtures.py": (NOT_RUN, "rewrites the committed goldens"),
    "python tests/fixtures/make_program_fixtures.py --check": (NOT_RUN, "runs the TF 1.15 oracle"),
    "python tests/fixtures/make_program_fixtures.py --legacy": (NOT_RUN, "runs the legacy oracle"),
    "python tests/fixtures/make_contrib_fixtures.py --check": (NOT_RUN, "runs the TF 1.15 oracle"),
    "python tests/fixtures/make_seq2seq_fixtures.py --check": (NOT_RUN, "runs the TF 1.15 oracle"),
}
# examples/README.md: every example's command line, flags parsed by its own
# parser; test_examples.py runs each example with tiny settings.
EXAMPLE_ARGS_REASON = "run with tiny settings by test_examples.py"

#: Exit codes a command may end with when the page says so (default: 0).
EXIT_CODES = {
    "tfshare doctor my_project/": {1},   # the fixture project uses tf.contrib.slim (not available)
}

#: What a command's output must show, where the page claims a result.
OUTPUT = {
    # README: "checks a restore ... (exit 0: it would succeed)": the fw weights are found
    "tfshare plan old_ckpt/ new_ckpt/ --map bidirectional_rnn/fw/=encoder/fw/":
        r"2 restored \(2 renamed\).*\n(?:.*\n)*"
        r"restored +encoder/fw/lstm_cell/kernel +bidirectional_rnn/fw/lstm_cell/kernel",
}

# ---------------------------------------------------------------------------
# Files and names the snippets use
# ---------------------------------------------------------------------------

#: Run once (python, cwd = the fixture directory) with the package itself.
FIXTURE = r'''
import os
import keras
import tfshare
import tfshare.compat.v1 as tf

# old_ckpt/: a TF1 program's checkpoint (a bidirectional LSTM, TF1 names)
with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    tf.nn.bidirectional_dynamic_rnn(tf.nn.rnn_cell.LSTMCell(4), tf.nn.rnn_cell.LSTMCell(4), x,
                                    dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, "old_ckpt/model")

# new_ckpt/: the layout tfshare.save writes for a Keras model (encoder/fw/..., head/...)
def make_model():
    inputs = keras.Input((5, 3))
    encoder = keras.Sequential([keras.Input((5, 3)), tfshare.RNN(tfshare.LSTMCell(4), name="fw")],
                               name="encoder")
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(encoder(inputs)))

tfshare.save(make_model(), "new_ckpt/model")

# programs for tfshare doctor
PROGRAM = """import tensorflow as tf
from tensorflow.contrib import rnn

x = tf.placeholder(tf.float32, [None, 5, 3])
outputs, state = tf.nn.dynamic_rnn(rnn.BasicLSTMCell(4), x, dtype=tf.float32)
"""
os.makedirs("my_project", exist_ok=True)
with open("my_project/train.py", "w") as f:
    f.write(PROGRAM + "import tensorflow.contrib.slim as slim\n")
with open("train.py", "w") as f:
    f.write(PROGRAM)
with open("model.py", "w") as f:
    f.write("import tensorflow as tf\n\ncell = tf.nn.rnn_cell.GRUCell(8)\n")
'''

_MODEL = "from tfshare_fixture import make_model\nmodel = make_model()\n"
#: page -> Python run before its first block (names the page's snippets take as given).
PY_SETUP = {
    "docs/checkpoints.md": "import tfshare\n" + _MODEL,
    "docs/seq2seq.md": """
import keras
import numpy as np
import tfshare
units, batch, vocab = 4, 2, 7
""",
}
#: (page, block number) -> Python run before that block, for blocks that are
#: fragments of a larger program (they use its tensors).
PY_BLOCK_SETUP = {
    ("docs/seq2seq.md", 0): """
import tfshare.compat.v1 as tf
tf.disable_v2_behavior()
encoder_outputs = tf.placeholder(tf.float32, [None, 6, units])
source_lengths = tf.placeholder(tf.int32, [None])
target_embeddings = tf.placeholder(tf.float32, [None, 5, 3])
target_lengths = tf.placeholder(tf.int32, [None])
""",
    ("docs/seq2seq.md", 1): """
encoder_outputs = np.random.default_rng(0).normal(size=(batch, 6, units)).astype("float32")
source_lengths = np.array([6, 4])
encoder_state = tfshare.LSTMStateTuple(np.zeros((batch, units), "float32"),
                                       np.ones((batch, units), "float32"))
target_embeddings = np.ones((batch, 5, 3), "float32")
""",
}
#: (page, block number) of blocks that call ``tf.disable_v2_behavior()`` (a
#: TF1 program): they run after every other block, each in its own namespace.
TF1_MODE_BLOCKS = {("docs/seq2seq.md", 0)}


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Block:
    page: str
    line: int          # 1-based line of the opening fence
    lang: str
    text: str
    mark: str | None   # the not-run reason, if marked


def read(page: str) -> str:
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        return f.read()


def blocks(page: str) -> list[Block]:
    lines = read(page).splitlines()
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+)\s*(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        assert j < len(lines), f"{page}:{i + 1}: unclosed code fence"
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mark = MARK.search(lines[k]) if k >= 0 else None
        body = "\n".join(line[len(indent):] if line.startswith(indent) else line
                         for line in lines[i + 1:j])
        out.append(Block(page, i + 1, lang.lower(), body + "\n", mark.group(1) if mark else None))
        i = j + 1
    return out


def _outside_fences(text: str) -> str:
    return re.sub(r"^\s*```.*?^\s*```[^\n]*$", "", text, flags=re.S | re.M)


def inline_commands(page: str) -> list[str]:
    spans = re.findall(r"`([^`\n]+)`", _outside_fences(read(page)))
    return [s.strip() for s in spans if re.match(r"(python|tfshare|pip) \S", s.strip())]


def shell_commands(block: Block) -> list[str]:
    cmds = []
    for line in block.text.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            cmds += [c.strip() for c in line.split("&&")]
    return cmds


def page_commands(page: str) -> list[str]:
    cmds = inline_commands(page)
    for b in blocks(page):
        if b.lang in ("bash", "sh") and b.mark is None:
            cmds += shell_commands(b)
    return list(dict.fromkeys(cmds))


def python_blocks(page: str) -> list[Block]:
    return [b for b in blocks(page) if b.lang == "python" and b.mark is None]


def action(cmd: str) -> tuple[str, str]:
    if cmd in COMMANDS:
        return COMMANDS[cmd]
    if cmd.startswith("python examples/"):
        return (ARGS, EXAMPLE_ARGS_REASON)
    return (cmd, "as written")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def _env() -> dict:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _run(args, cwd, timeout=600, shell=False) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout, shell=shell)


#: One process runs the fixture, then every page in its own copy of the fixture
#: directory and its own namespace: the Python blocks in order, then the page's
#: ``tfshare ...`` commands through ``tfshare.cli.main`` (the console script's
#: entry point) with the argument list of the command line. Blocks in
#: ``TF1_MODE_BLOCKS`` switch the process to TF1 behaviour and run last.
DRIVER = r"""
import contextlib, io, os, re, shlex, shutil, sys, traceback
base = os.getcwd()
os.chdir("fixture")
sys.path.insert(0, os.getcwd())
import tfshare_fixture
from tfshare.cli import main as tfshare_main
failed = []

def run_block(page, label, setup, code, ns):
    try:
        if setup:
            exec(compile(setup, label + " (setup from tests/test_docs.py)", "exec"), ns)
        exec(compile(code, label, "exec"), ns)
        print("OK:", label, flush=True)
    except BaseException:
        failed.append(label + "\n" + traceback.format_exc())

def page_dir(page):
    d = os.path.join(base, re.sub(r"\W", "_", page))
    shutil.copytree(os.path.join(base, "fixture"), d)
    return d

later = []
for page, blocks, commands in PLAN:
    os.chdir(page_dir(page))
    ns = {"__name__": "__main__"}
    for label, setup, code, tf1_mode in blocks:
        if tf1_mode:
            later.append((page, label, setup, code, os.getcwd()))
        else:
            run_block(page, label, setup, code, ns)
    for cmd, codes, pattern in commands:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = tfshare_main(shlex.split(cmd)[1:])
            except SystemExit as e:
                rc = e.code
        if rc not in codes:
            failed.append(f"{page}: `{cmd}` exited {rc}, expected {codes}\n"
                          f"{out.getvalue()}{err.getvalue()}")
        elif pattern and not re.search(pattern, out.getvalue()):
            failed.append(f"{page}: `{cmd}` output lacks {pattern!r}:\n{out.getvalue()}")
        else:
            print("OK:", page, cmd, flush=True)
for page, label, setup, code, d in later:
    os.chdir(d)
    run_block(page, label, setup, code, {"__name__": "__main__"})
for f in failed:
    print("FAILED:", f)
sys.exit(1 if failed else 0)
"""


def snippet_plan() -> tuple[list, int]:
    plan, n_items = [], 0
    for page in PAGES:
        blks = []
        fresh = True   # the page's setup runs before each block that starts a namespace
        for n, b in enumerate(python_blocks(page)):
            tf1_mode = (page, n) in TF1_MODE_BLOCKS
            setup = ((PY_SETUP.get(page, "") if fresh or tf1_mode else "")
                     + PY_BLOCK_SETUP.get((page, n), ""))
            fresh = fresh and tf1_mode
            blks.append((f"{page}:{b.line}", setup, b.text, tf1_mode))
        cmds = [(c, sorted(EXIT_CODES.get(c, {0})), OUTPUT.get(c)) for c in page_commands(page)
                if c.startswith("tfshare ") and action(c)[0] == c]
        if blks or cmds:
            plan.append((page, blks, cmds))
            n_items += len(blks) + len(cmds)
    return plan, n_items


ARGS_RUNNER = r"""
import argparse, os, runpy, sys

class Parsed(BaseException):
    pass

_parse = argparse.ArgumentParser.parse_args
def parse_args(self, args=None, namespace=None):
    raise Parsed(_parse(self, args, namespace))
argparse.ArgumentParser.parse_args = parse_args

failed = []
for cmd, argv in CASES:
    script = os.path.abspath(argv[0])
    sys.argv = [script] + argv[1:]
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
        failed.append((cmd, "the script ran without parsing its arguments"))
    except Parsed:
        print("ARGS OK:", cmd, flush=True)
    except SystemExit as e:
        failed.append((cmd, "argparse exit %r" % (e.code,)))
    finally:
        sys.path.pop(0)
for cmd, why in failed:
    print("ARGS FAILED:", cmd, "--", why)
sys.exit(1 if failed else 0)
"""


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_every_block_is_run_or_marked():
    """A block of a kind the test does not run must say so in the page."""
    bad = [f"{b.page}:{b.line}: ```{b.lang}" for p in PAGES for b in blocks(p)
           if b.lang not in RUN_LANGS | NOT_RUN_LANGS and b.mark is None]
    assert not bad, ("unmarked blocks (use ```text for output, or put "
                     "<!-- not-run: reason --> before the fence):\n" + "\n".join(bad))


def test_tables_have_no_stale_entries():
    """Every entry of the tables above names something the docs still contain."""
    every = {c for p in PAGES for c in page_commands(p)}
    stale = sorted((set(COMMANDS) | set(EXIT_CODES) | set(OUTPUT)) - every)
    assert not stale, stale
    assert set(PY_SETUP) <= set(PAGES)
    for page, n in set(PY_BLOCK_SETUP) | TF1_MODE_BLOCKS:
        assert n < len(python_blocks(page)), (page, n)


def test_only_known_commands_are_not_run_as_written():
    """Commands run as written are either ``tfshare ...`` (run by test_snippets_run)
    or shell lines (test_shell_commands_run); nothing falls through."""
    for page in PAGES:
        for c in page_commands(page):
            what = action(c)[0]
            runs = c.startswith("tfshare ") or what.startswith("python ")
            assert what in (ARGS, NOT_RUN) or runs, c


def test_pip_extras_exist():
    with open(os.path.join(ROOT, "setup.cfg"), encoding="utf-8") as f:
        cfg = f.read()
    extras = set(re.findall(r"^(\w+) =\s*$", cfg.split("[options.extras_require]")[1], re.M))
    found = 0
    for page in PAGES:
        for cmd in page_commands(page):
            for extra in re.findall(r'pip install -e "\.\[(\w+)\]"', cmd):
                assert extra in extras, (page, cmd)
                found += 1
    assert found >= 2


def test_documented_script_flags_parse():
    """Each long-running documented command line is accepted by its script's own
    parser (all in one process; the scripts stop right after parsing)."""
    cases = []
    for page in PAGES:
        for cmd in page_commands(page):
            if action(cmd)[0] == ARGS:
                argv = shlex.split(cmd)
                assert argv[0] == "python" and os.path.exists(os.path.join(ROOT, argv[1])), cmd
                cases.append((cmd, argv[1:]))
    assert len(cases) >= 12
    proc = _run([sys.executable, "-c", f"CASES = {cases!r}\n" + ARGS_RUNNER], cwd=ROOT)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    assert proc.stdout.count("ARGS OK:") == len(cases), proc.stdout


def test_shell_commands_run(tmp_path):
    """``python ...`` lines that run (as written or substituted), in a shell."""
    cmds = [(c, action(c)[0]) for p in PAGES for c in page_commands(p)]
    cmds = [(c, what) for c, what in cmds if what.startswith("python ")]
    assert cmds, "expected at least the tiny benchmark run"
    for original, cmd in cmds:
        argv = shlex.split(cmd)
        argv[0], argv[1] = sys.executable, os.path.join(ROOT, argv[1])
        proc = _run(argv, cwd=tmp_path)
        assert proc.returncode in EXIT_CODES.get(original, {0}), (
            f"`{original}` (run as `{cmd}`) exited {proc.returncode}\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def test_snippets_run(tmp_path):
    """Every Python block and ``tfshare`` command line, in one process (DRIVER)."""
    plan, n_items = snippet_plan()
    assert n_items >= 8
    (tmp_path / "fixture").mkdir()
    (tmp_path / "fixture" / "tfshare_fixture.py").write_text(FIXTURE)
    proc = _run([sys.executable, "-c", f"PLAN = {plan!r}\n" + DRIVER], cwd=tmp_path)
    assert proc.returncode == 0, f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    assert proc.stdout.count("OK:") == n_items, proc.stdout
