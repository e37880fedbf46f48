"""Command line: ``tfshare inspect | diff | plan | rename | doctor``.

``inspect``, ``diff``, ``plan`` and ``rename`` work on checkpoints by variable
name (docs/checkpoints.md, "Command line"); ``doctor`` reads Python sources and
lists every TF symbol they use as provided by tfshare, forwarded to TensorFlow
or not available, with the import lines to change (``tfshare.doctor``,
docs/doctor.md).

Exit codes: 0 success (``diff``: no differences; ``plan``: no problems;
``doctor``: every symbol provided or forwarded), 1 differences found
(``diff``), a plan with problems (``plan``) or a symbol not available
(``doctor``), 2 any failure:
a usage error or bad input (missing path, not a checkpoint, a damaged file, a
bad ``--map`` or ``--include`` pattern) or a failed write (read-only
directory, full disk). A failure prints one line on stderr, naming the file
and the cause; ``rename`` then leaves no partial checkpoint behind.

Examples::

    tfshare inspect ckpt/ --tree
    tfshare inspect ckpt/model-7 --filter 'lstm_cell/'
    tfshare diff old/ new/ --values
    tfshare plan old/ new/ --map bidirectional_rnn/fw/=encoder/fw/ --exclude logits
    tfshare rename old/model-7 new/model --map bidirectional_rnn/=encoder/ --legacy
    tfshare doctor my_project/ --json
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence, TextIO

import numpy as np

from tfshare.checkpoint._text import first_line, format_shape, human_bytes
from tfshare.checkpoint.names import AssignmentMap, translate_legacy_names
from tfshare.checkpoint.plan import build_plan
from tfshare.checkpoint.readers import CheckpointReader, VariableInfo, open_checkpoint
from tfshare.checkpoint.select import select_names
from tfshare.checkpoint.writer import stream_checkpoint

__all__ = ["main"]

#: Files whose tensors total more than this many bytes get a progress bar.
PROGRESS_BYTES = 64 * 2**20


class _Usage(Exception):
    """Bad input: exit code 2."""


class _Progress:
    """A ``keras.utils.Progbar`` over bytes, shown only for large jobs."""

    def __init__(self, total_bytes: int, enabled: bool | None):
        self.bar = None
        if enabled or (enabled is None and total_bytes > PROGRESS_BYTES):
            import keras

            self.bar = keras.utils.Progbar(max(total_bytes, 1), unit_name="byte")
        self.done = 0

    def add(self, nbytes: int) -> None:
        self.done += nbytes
        if self.bar is not None:
            self.bar.update(self.done)


def _open(path: str) -> CheckpointReader:
    return open_checkpoint(path)


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")


# --------------------------------------------------------------------- inspect
def _filter(infos: list[VariableInfo], pattern: str | None) -> list[VariableInfo]:
    if not pattern:
        return infos
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise _Usage(f"--filter {pattern!r} is not a valid regular expression: {e}") from None
    return [i for i in infos if rx.search(i.name)]


def _tree(infos: list[VariableInfo], out: TextIO) -> None:
    """Scope tree with parameter totals per scope."""
    totals: dict[tuple[str, ...], list[int]] = {}
    for info in infos:
        parts = tuple(info.name.split("/"))
        for k in range(1, len(parts)):
            t = totals.setdefault(parts[:k], [0, 0])
            t[0] += info.size
            t[1] += 1
    leaves = {tuple(i.name.split("/")): i for i in infos}
    keys = sorted(set(totals) | set(leaves))
    for key in keys:
        indent = "  " * (len(key) - 1)
        if key in leaves:
            info = leaves[key]
            out.write(f"{indent}{key[-1]}  {format_shape(info.shape)} {info.dtype}  ({info.size:,})\n")
        else:
            n, count = totals[key]
            out.write(f"{indent}{key[-1]}/  {n:,} params in {count} tensor{'s' if count != 1 else ''}\n")


def cmd_inspect(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args.path) as reader:
        infos = _filter(list(reader.variables.values()), args.filter)
        out.write(f"{reader.path} ({reader.format})\n")
        if args.tree:
            _tree(infos, out)
        else:
            rows = [("name", "shape", "dtype", "params", "size")]
            for i in infos:
                name = i.name + (f"  (= {i.alias})" if i.alias else "")
                rows.append((name, format_shape(i.shape), i.dtype, f"{i.size:,}", human_bytes(i.nbytes)))
            _table(rows, out)
        total = sum(i.size for i in infos)
        nbytes = sum(i.nbytes for i in infos)
        out.write(f"{len(infos)} tensors, {total:,} parameters, {human_bytes(nbytes)}\n")
    return 0


# ------------------------------------------------------------------------ diff
def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args.a) as ra, _open(args.b) as rb:
        a, b = ra.variables, rb.variables
        only_a = sorted(set(a) - set(b))
        only_b = sorted(set(b) - set(a))
        common = sorted(set(a) & set(b))
        changed = [n for n in common if (a[n].shape, a[n].dtype) != (b[n].shape, b[n].dtype)]
        same_layout = [n for n in common if n not in changed]
        value_diffs: list[tuple[str, float]] = []
        if args.values:
            prog = _Progress(sum(a[n].nbytes for n in same_layout) * 2, args.progress)
            for n in same_layout:
                va, vb = ra.read(n), rb.read(n)
                prog.add(a[n].nbytes * 2)
                if va.dtype.kind in "fc":
                    d = float(np.max(np.abs(va - vb))) if va.size else 0.0
                    if not np.allclose(va, vb, rtol=0, atol=args.atol, equal_nan=True):
                        value_diffs.append((n, d))
                elif not np.array_equal(va, vb):
                    value_diffs.append((n, float("nan")))
        for n in only_a:
            out.write(f"- {n}  {format_shape(a[n].shape)} {a[n].dtype}   (only in A)\n")
        for n in only_b:
            out.write(f"+ {n}  {format_shape(b[n].shape)} {b[n].dtype}   (only in B)\n")
        for n in changed:
            out.write(f"~ {n}  {format_shape(a[n].shape)} {a[n].dtype} -> {format_shape(b[n].shape)} {b[n].dtype}\n")
        for n, d in value_diffs:
            out.write(f"~ {n}  values differ (max abs diff {d:.3g})\n")
        ndiff = len(only_a) + len(only_b) + len(changed) + len(value_diffs)
        out.write(f"{len(common)} common, {len(only_a)} only in A, {len(only_b)} only in B, "
                  f"{len(changed)} shape/dtype changed"
                  + (f", {len(value_diffs)} values differ" if args.values else "") + "\n")
    return 1 if ndiff else 0


# ------------------------------------------------------------------- plan, rename
def _parse_map(entries: Sequence[str] | None) -> list[tuple[str, str]]:
    """``--map OLD=NEW`` entries as assignment-map pairs (checkpoint -> new name)."""
    pairs: list[tuple[str, str]] = []
    for e in entries or []:
        if e.count("=") != 1:
            raise _Usage(f"--map expects OLD=NEW (checkpoint name or scope = new name or scope). "
                         f"Received: {e!r}")
        old, new = e.split("=")
        if not old or not new:
            raise _Usage(f"--map expects OLD=NEW with both sides non-empty. Received: {e!r}")
        if any(o == old and n != new for o, n in pairs):
            raise _Usage(f"--map gives {old!r} two new names")
        pairs.append((old, new))
    try:
        amap = AssignmentMap(pairs)  # the scope rules, as restore applies them
    except ValueError as e:
        raise _Usage(f"--map: {e}") from None
    if amap.conflicts:
        raise _Usage(f"--map: {amap.conflicts[0]}")
    return pairs


class _Spec:
    """A stand-in variable (name, shape, dtype) for planning against a checkpoint."""

    def __init__(self, info: VariableInfo):
        self.shape, self.dtype, self.name = info.shape, info.dtype, info.name


def cmd_plan(args: argparse.Namespace, out: TextIO) -> int:
    pairs = _parse_map(args.map)
    with _open(args.source) as src, _open(args.target) as tgt:
        target = {n: _Spec(i) for n, i in tgt.variables.items()}
        result = build_plan(target, src, args.include, args.exclude, pairs or None,
                            args.skip_mismatch, args.strict, args.legacy, check_assignable=False)
        out.write(str(result) + "\n")
        if tgt.format in ("keras_h5", "keras") and src.format not in ("keras_h5", "keras"):
            out.write(f"note: {args.target} is a Keras weights file, which records each layer's "
                      "weights by index, not by name; plan against a checkpoint written by "
                      "tfshare.save(model, ...), or call tfshare.plan(model, ...) in Python\n")
    return 1 if result.problems else 0


def rename_names(names: Sequence[str], pairs: Sequence[tuple[str, str]],
                 legacy: bool = False) -> dict[str, str]:
    """``{old: new}`` for checkpoint ``names`` under ``OLD=NEW`` rules (an exact
    name first, then the longest scope, as in an assignment map), after the
    legacy translation."""
    legacy_map = translate_legacy_names(names) if legacy else {}
    amap = AssignmentMap(list(pairs))
    return {name: amap.rename(legacy_map.get(name, name)) for name in names}


def cmd_rename(args: argparse.Namespace, out: TextIO) -> int:
    pairs = _parse_map(args.map)
    with _open(args.src) as reader:
        names, dropped = select_names(list(reader.variables), args.include, args.exclude)
        mapping = rename_names(names, pairs, args.legacy)
        targets: dict[str, str] = {}
        for old, new in mapping.items():
            if new in targets:
                raise _Usage(f"--map sends both {targets[new]!r} and {old!r} to {new!r}")
            targets[new] = old
        rows = [("old", "new", "shape", "dtype")]
        for old, new in mapping.items():
            i = reader.variables[old]
            rows.append((old, "=" if new == old else new, format_shape(i.shape), i.dtype))
        _table(rows, out)
        for n in dropped:
            out.write(f"dropped {n}\n")
        if args.dry_run:
            out.write("dry run: nothing written\n")
            return 0
        prog = _Progress(sum(reader.variables[o].nbytes for o in names), args.progress)

        def fetch(new_names: list[str]) -> list:
            olds = [targets[n] for n in new_names]
            values = reader.read_many(olds)
            prog.add(sum(reader.variables[o].nbytes for o in olds))
            return [values[o] for o in olds]

        new_names = [mapping[o] for o in names]
        written = stream_checkpoint(args.dst, new_names,
                                    [reader.variables[o].nbytes for o in names], fetch)
    out.write(f"wrote {len(new_names)} tensors to {written}\n")
    return 0


# ------------------------------------------------------------------------ main
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tfshare", description="Inspect, compare, plan and rename "
                                "TF1/TF2/Keras checkpoints by variable name; doctor: which TF "
                                "symbols a program uses and whether tfshare provides them.")
    sub = p.add_subparsers(dest="command", required=True)

    def progress(sp: argparse.ArgumentParser) -> None:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="always show a progress bar")
        g.add_argument("--no-progress", dest="progress", action="store_false",
                       help="never show a progress bar (default: only for large files)")

    sp = sub.add_parser("inspect", help="names, shapes, dtypes, sizes and totals")
    sp.add_argument("path")
    sp.add_argument("--filter", metavar="REGEX", help="only names matching REGEX (re.search)")
    sp.add_argument("--tree", action="store_true", help="show the scope tree with totals")
    sp.set_defaults(func=cmd_inspect)

    sp = sub.add_parser("diff", help="compare two checkpoints (exit 1 when they differ)")
    sp.add_argument("a")
    sp.add_argument("b")
    sp.add_argument("--values", action="store_true", help="also compare values")
    sp.add_argument("--atol", type=float, default=0.0, help="tolerance for --values (default 0)")
    progress(sp)
    sp.set_defaults(func=cmd_diff)

    def selection(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--map", action="append", metavar="OLD=NEW",
                        help="rename a name or a scope (ending in '/'); repeatable")
        sp.add_argument("--include", action="append", metavar="SCOPE", help="slim include scope")
        sp.add_argument("--exclude", action="append", metavar="SCOPE", help="slim exclude scope")
        sp.add_argument("--legacy", action="store_true",
                        help="translate pre-1.2 RNN names (weights/biases -> kernel/bias, ...)")

    sp = sub.add_parser("plan", help="dry-run a restore of SOURCE into the layout of TARGET")
    sp.add_argument("source")
    sp.add_argument("target", help="a checkpoint whose names/shapes stand for the target model")
    selection(sp)
    sp.add_argument("--strict", action="store_true")
    sp.add_argument("--skip-mismatch", action="store_true")
    sp.set_defaults(func=cmd_plan)

    sp = sub.add_parser("rename", help="write a renamed TF1 checkpoint")
    sp.add_argument("src")
    sp.add_argument("dst", help="prefix of the new checkpoint")
    selection(sp)
    sp.add_argument("--dry-run", action="store_true", help="print the renames, write nothing")
    progress(sp)
    sp.set_defaults(func=cmd_rename)

    from tfshare.doctor import cli_command as cmd_doctor

    sp = sub.add_parser("doctor", help="which TF symbols Python sources use, and whether "
                        "tfshare provides them (exit 1: something is not available)")
    sp.add_argument("paths", nargs="+", metavar="PATH", help="a .py file or a directory")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.set_defaults(func=cmd_doctor)
    return p


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the CLI; return the exit code (see the module docstring)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors (2) and --help (0)
        return int(e.code or 0)
    try:
        return args.func(args, out)
    except KeyboardInterrupt:
        err.write(f"tfshare {args.command}: interrupted\n")
        return 130
    except Exception as e:  # every failure: one line, exit 2
        err.write(f"tfshare {args.command}: error: {_one_line(e)}\n")
        return 2


def _one_line(e: Exception) -> str:
    """The error as one line; the exception type is kept unless it is our own."""
    text = " ".join(line.strip() for line in str(e).splitlines() if line.strip())
    if isinstance(e, (_Usage, ValueError, OSError)) or not text:
        return text or first_line(e)
    return f"{type(e).__name__}: {text}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
