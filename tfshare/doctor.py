"""``tfshare doctor``: which TF1 symbols a program uses, and what tfshare does with each.

``doctor(paths)`` reads Python sources (files, or directories searched
recursively for ``*.py``) with :mod:`ast`, finds every use of a TensorFlow
symbol, whatever the import style::

    import tensorflow as tf                 tf.nn.rnn_cell.LSTMCell
    import tensorflow.compat.v1 as tf       tf.placeholder
    from tensorflow.contrib import rnn      rnn.LSTMBlockCell
    from tensorflow.contrib.rnn import NASCell
    import tensorflow.contrib.slim as slim  slim.arg_scope
    rnn = tf.contrib.rnn                    (simple aliases)

and gives each symbol (named by its TF1 API path, ``tf.contrib.rnn.NASCell``)
one verdict:

* **provided**: ``tfshare.compat.v1`` defines it (tfshare's own code);
* **forwarded**: ``tfshare.compat.v1`` hands out TensorFlow's own object from
  ``tensorflow.compat.v1``, which works under Keras 3;
* **not available**: neither resolves it, or it resolves to a namespace that
  fails on use ("``X`` is not available with Keras 3"); with the nearest
  alternative where one exists.

The verdicts are computed by resolving each symbol, attribute by attribute,
in ``tfshare.compat.v1`` and in ``tensorflow.compat.v1`` -- no hand-kept
list. The resolution runs in a child interpreter (the one running this code,
``sys.executable``): it sees the namespaces exactly as the migrated program
will (Keras 3; ``TF_USE_LEGACY_KERAS`` removed), and the caller's graph,
eager state and Keras settings stay untouched. Results are cached per process.

For each file the report also gives the import lines to change
(``import tensorflow as tf`` -> ``import tfshare.compat.v1 as tf;
tf.disable_v2_behavior()``), each checked by running the new import.
"""
from __future__ import annotations

import ast
import dataclasses
import difflib
import json
import os
import subprocess
import sys
import types
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple

__all__ = ["doctor", "DoctorReport", "FileReport", "SymbolReport", "ImportChange",
           "PROVIDED", "FORWARDED", "NOT_AVAILABLE"]

PROVIDED = "provided"
FORWARDED = "forwarded"
NOT_AVAILABLE = "not available"
STATUSES = (PROVIDED, FORWARDED, NOT_AVAILABLE)

#: Known moves: a TF1 path (or path prefix, ending in ".") -> what to use
#: instead. Targets written as ``tf.<path>`` are checked by the tests to exist
#: in ``tfshare.compat.v1``.
ALTERNATIVES: Dict[str, str] = {
    "contrib.rnn.LSTMBlockCell": "tf.nn.rnn_cell.LSTMCell (same maths and variable names)",
    "contrib.rnn.LSTMBlockFusedCell": "tf.nn.rnn_cell.LSTMCell with tf.nn.dynamic_rnn",
    "contrib.rnn.GRUBlockCell": "tf.nn.rnn_cell.GRUCell",
    "contrib.rnn.GRUBlockCellV2": "tf.nn.rnn_cell.GRUCell",
    "contrib.rnn.LayerNormBasicLSTMCell": "tf.nn.rnn_cell.LSTMCell",
    "contrib.cudnn_rnn.": "tf.keras.layers.LSTM / GRU (Keras 3)",
    "contrib.slim.": "the tf_slim package (pip install tf-slim); arg_scope: "
                     "tf.contrib.framework.arg_scope",
    "contrib.lookup.index_table_from_file": "tf.lookup.StaticVocabularyTable with "
                                            "tf.lookup.TextFileInitializer",
    "contrib.lookup.index_to_string_table_from_file": "tf.lookup.StaticHashTable with "
                                                      "tf.lookup.TextFileInitializer",
    "contrib.lookup.HashTable": "tf.lookup.StaticHashTable",
    "contrib.distributions.": "tensorflow_probability (pip install tensorflow-probability)",
    "contrib.learn.": "tf.keras (Keras 3) for models and training loops",
    "contrib.metrics.": "tf.metrics",
    "contrib.layers.conv2d": "tf.layers.conv2d",
    "contrib.layers.max_pool2d": "tf.layers.max_pooling2d",
    "contrib.layers.softmax": "tf.nn.softmax",
    "estimator.": "tf.keras (Keras 3); TensorFlow 2.16 removed the Estimator API",
    "python.": "the public tf.* name of the same function",
}

#: Namespaces searched for a symbol of the same name (the automatic alternative).
_SEARCH = ("", "nn", "nn.rnn_cell", "layers", "train", "losses", "contrib.rnn",
           "contrib.layers", "contrib.framework", "contrib.training", "contrib.data",
           "contrib.seq2seq", "contrib.legacy_seq2seq", "contrib.crf", "data.experimental",
           "lookup", "keras.layers")


# ------------------------------------------------------------------- the report
@dataclasses.dataclass
class SymbolReport:
    """One TF symbol of one file (or of the whole report, in ``totals``)."""

    symbol: str                     #: TF1 API path, ``tf.contrib.rnn.NASCell``
    status: str                     #: ``provided`` / ``forwarded`` / ``not available``
    lines: List[int]                #: line numbers of the uses
    alternative: Optional[str] = None   #: nearest alternative (not available only)
    note: Optional[str] = None      #: why (e.g. "not available with Keras 3")


@dataclasses.dataclass
class ImportChange:
    """One import statement to change."""

    line: int
    old: str
    new: Optional[str]              #: the replacement, ``None`` when there is none
    note: Optional[str] = None


@dataclasses.dataclass
class FileReport:
    path: str
    symbols: List[SymbolReport]
    imports: List[ImportChange]
    error: Optional[str] = None     #: unreadable file or syntax error

    def count(self, status: str) -> int:
        return sum(1 for s in self.symbols if s.status == status)


@dataclasses.dataclass
class DoctorReport:
    """What :func:`doctor` found. ``exit_code``: 0 all provided/forwarded, 1
    something not available, 2 a file could not be read or parsed."""

    files: List[FileReport]

    @property
    def errors(self) -> List[FileReport]:
        return [f for f in self.files if f.error]

    def totals(self) -> List[SymbolReport]:
        """Each distinct symbol once, with the line numbers of all files (``where``
        gives them as ``path:line``); ordered by status, then name."""
        merged: Dict[str, SymbolReport] = {}
        for f in self.files:
            for s in f.symbols:
                m = merged.setdefault(s.symbol, SymbolReport(s.symbol, s.status, [],
                                                             s.alternative, s.note))
                m.lines.extend(s.lines)
        return sorted(merged.values(), key=lambda s: (STATUSES.index(s.status), s.symbol))

    def where(self, symbol: str) -> List[str]:
        """``["path:line", ...]`` of every use of ``symbol``."""
        return [f"{f.path}:{n}" for f in self.files for s in f.symbols if s.symbol == symbol
                for n in s.lines]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if any(s.status == NOT_AVAILABLE for s in self.totals()) else 0

    def to_dict(self) -> Dict[str, Any]:
        return {"files": [dataclasses.asdict(f) for f in self.files],
                "totals": {st: sorted(s.symbol for s in self.totals() if s.status == st)
                           for st in STATUSES},
                "exit_code": self.exit_code}

    def format(self) -> str:
        """The human-readable report (per file, then the totals)."""
        out: List[str] = []
        for f in self.files:
            out.append(f.path)
            if f.error:
                out.append(f"  error: {f.error}")
                continue
            for c in f.imports:
                out.append(f"  line {c.line}: {c.old}")
                out.append("    -> (keep)" if c.new == c.old else f"    -> {c.new}" if c.new
                           else "    -> (no tfshare replacement)")
                if c.note:
                    out.append(f"       {c.note}")
            rows = [(s.status, s.symbol, str(len(s.lines)), str(s.lines[0]), _hint(s))
                    for s in sorted(f.symbols, key=lambda s: (STATUSES.index(s.status),
                                                              s.symbol))]
            out.extend("  " + r for r in _table([("status", "symbol", "uses", "line", "")]
                                                 + rows))
            out.append("  " + ", ".join(f"{f.count(st)} {st}" for st in STATUSES))
        totals = self.totals()
        counts = ", ".join(f"{sum(1 for s in totals if s.status == st)} {st}" for st in STATUSES)
        n_ok = len(self.files) - len(self.errors)
        out.append(f"total: {n_ok} file{'s' if n_ok != 1 else ''}, {len(totals)} distinct "
                   f"symbols: {counts}")
        missing = [s for s in totals if s.status == NOT_AVAILABLE]
        if missing:
            out.append("not available:")
            rows = []
            for s in missing:
                where = self.where(s.symbol)
                more = f" (+{len(where) - 2} more)" if len(where) > 2 else ""
                rows.append((s.symbol, ", ".join(where[:2]) + more, _hint(s)))
            out.extend("  " + r for r in _table(rows))
        if self.errors:
            out.append(f"{len(self.errors)} file(s) could not be read or parsed")
        return "\n".join(out) + "\n"


def _hint(s: SymbolReport) -> str:
    parts = []
    if s.alternative:
        parts.append(f"nearest: {s.alternative}")
    if s.note:
        parts.append(s.note)
    return "; ".join(parts)


def _table(rows: List[Tuple[str, ...]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


# ------------------------------------------------------------------- scanning
_TF = "tensorflow"


@dataclasses.dataclass
class _Binding:
    path: str           #: TF1 API path the name stands for ("" = the tf module)
    private: bool = False


def _module_path(module: str) -> Optional[Tuple[str, bool]]:
    """``tensorflow.compat.v1.nn`` -> ``("nn", False)``; ``tensorflow.python.x`` ->
    ``("python.x", True)``; not TensorFlow -> ``None``."""
    if module != _TF and not module.startswith(_TF + "."):
        return None
    path = _normalize(module[len(_TF) + 1:])
    return path, path == "python" or path.startswith("python.")


def _normalize(path: str) -> str:
    while path == "compat.v1" or path.startswith("compat.v1."):
        path = path[len("compat.v1") + 1:]
    return path


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _chain(node: ast.AST) -> Optional[Tuple[str, List[str]]]:
    """``a.b.c`` -> ``("a", ["b", "c"])``; anything else -> ``None``."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, attrs[::-1]
    return None


@dataclasses.dataclass
class _Scan:
    uses: Dict[Tuple[str, bool], List[int]]
    imports: List[Tuple[int, str, Optional[str], Optional[str]]]  # line, old, new, note


def scan_source(source: str, filename: str = "<source>") -> _Scan:
    """The TF symbol uses of ``source`` (``{(path, private): [lines]}``) and its
    TF import statements with their tfshare replacements (unchecked).
    Raises ``SyntaxError``."""
    tree = ast.parse(source, filename=filename)
    bindings: Dict[str, _Binding] = {}
    uses: Dict[Tuple[str, bool], List[int]] = {}
    imports = []
    disables = any(isinstance(n, ast.Attribute) and n.attr in ("disable_v2_behavior",
                                                                "disable_eager_execution")
                   for n in ast.walk(tree))
    uses_compat_v1 = False

    imported: Dict[Tuple[str, bool], List[int]] = {}  # the names import statements bind

    def use(path: str, private: bool, line: int, table: Optional[dict] = None) -> None:
        if path:
            (uses if table is None else table).setdefault((path, private), []).append(line)

    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom,
                                                                 ast.Assign))),
                   key=lambda n: (n.lineno, n.col_offset))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found = _module_path(alias.name)
                if found is None:
                    continue
                path, private = found
                bindings[alias.asname or _TF] = (_Binding(path, private) if alias.asname
                                                 else _Binding(""))
                use(path, private, node.lineno, imported)
                imports.append((node.lineno, _unparse(node), *_new_import(
                    alias.name, alias.asname, None, disables)))
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                continue
            found = _module_path(node.module)
            if found is None:
                continue
            path, private = found
            for alias in node.names:
                if alias.name == "*":
                    continue
                sub = _normalize(_join(path, alias.name))
                bindings[alias.asname or alias.name] = _Binding(sub, private)
                use(sub, private, node.lineno, imported)
            imports.append((node.lineno, _unparse(node), *_new_import(
                node.module, None, node.names, disables)))
        elif (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and (c := _chain(node.value)) and c[0] in bindings):
            base = bindings[c[0]]
            bindings[node.targets[0].id] = _Binding(_normalize(_join(base.path, *c[1])),
                                                    base.private)
    inner: set = set()  # nodes inside a longer chain: only the longest chain is a use
    for node in ast.walk(tree):  # breadth first: an outer Attribute comes before its parts
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            c = _chain(node)
            if not c or c[0] not in bindings:
                continue
            part = node.value
            while isinstance(part, ast.Attribute):
                inner.add(id(part))
                part = part.value
            inner.add(id(part))
            base = bindings[c[0]]
            raw = _join(base.path, *c[1])
            uses_compat_v1 |= raw == "compat.v1" or raw.startswith("compat.v1.")
            use(_normalize(raw), base.private, node.lineno)
        elif (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
              and id(node) not in inner and node.id in bindings):
            b = bindings[node.id]
            use(b.path, b.private, node.lineno)
    for (path, private), lines in imported.items():
        # an imported module counts only when the program uses nothing inside it
        if not any(p.startswith(path + ".") for p, _ in uses):
            uses.setdefault((path, private), []).extend(lines)
    if uses_compat_v1:
        imports = [(ln, old, new, _also(note, "then write tf.X for tf.compat.v1.X")
                    if new and new != old else note) for ln, old, new, note in imports]
    for key in uses:
        uses[key] = sorted(set(uses[key]))
    return _Scan(uses, imports)


def _also(note: Optional[str], more: str) -> str:
    return f"{note}; {more}" if note else more


def _unparse(node: ast.AST) -> str:
    return ast.unparse(node) if hasattr(ast, "unparse") else ast.dump(node)


def _new_import(module: str, asname: Optional[str], names: Optional[Sequence[ast.alias]],
                disables: bool) -> Tuple[Optional[str], Optional[str]]:
    """The tfshare form of an import of ``module`` (``names`` for ``from ...
    import``) and a note. ``tensorflow.keras`` and ``compat.v2`` imports stay
    (returned unchanged); ``tensorflow.python`` ones have no replacement."""
    rest = module[len(_TF):]
    listed = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in names or ())
    if rest.startswith(".python"):
        return None, "private TensorFlow module: keep it, or use the public tf.* name"
    if rest.startswith(".keras") or rest.startswith(".compat.v2"):
        old = f"from {module} import {listed}" if names else (
            f"import {module}" + (f" as {asname}" if asname else ""))
        return old, "keep: tf.keras is Keras 3 with or without tfshare"
    if rest.startswith(".compat.v1"):
        rest = rest[len(".compat.v1"):]
    new_module = "tfshare.compat.v1" + rest
    if names is None:
        target = asname or _TF
        line = f"import {new_module} as {target}"
        if rest == "" and not disables:
            line += f"; {target}.disable_v2_behavior()"
        return line, None
    line = f"from {new_module} import {listed}"
    if module == _TF + ".compat" and any(a.name == "v1" for a in names):
        line = f"from tfshare.compat import {listed}"
        if not disables:
            line += f"; {next(a.asname or a.name for a in names if a.name == 'v1')}" \
                    ".disable_v2_behavior()"
    return line, None


def _sources(paths: Iterable[str]) -> Tuple[List[str], List[Tuple[str, str]]]:
    files, errors = [], []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                files.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".py"))
        elif os.path.exists(p):
            files.append(p)
        else:
            errors.append((p, "no such file or directory"))
    return files, errors


# ------------------------------------------------------------------- resolving
def _is_namespace(obj: Any) -> bool:
    return isinstance(obj, types.ModuleType)


def _walk(root: Any, parts: Sequence[str]) -> Tuple[int, Any, Optional[BaseException]]:
    """Follow ``parts`` from ``root`` until the first non-module object.
    Returns ``(used, obj, error)``: ``parts[:used]`` is the symbol."""
    obj = root
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except Exception as e:  # AttributeError, or a lazy loader's ImportError
            return i + 1, None, e
        if not _is_namespace(obj):
            return i + 1, obj, None
    return len(parts), obj, None


def _unusable(obj: Any) -> Optional[str]:
    """Why a resolved namespace fails on use (Keras 3's lazy loaders for the
    removed ``tf.layers`` / ``tf.nn.rnn_cell``), else ``None``."""
    if not _is_namespace(obj):
        return None
    try:
        dir(obj)
    except Exception as e:
        return f"resolves, but fails on use: {_first_line(e)}"
    return None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


def _search_leaf(name: str, path: str, ours: Any) -> Optional[str]:
    """``tf.<space>.<name>`` for the first namespace of ``_SEARCH`` that has
    ``name`` (other than ``path`` itself)."""
    name = name.lstrip("_")
    for space in _SEARCH:
        _, ns, err = _walk(ours, space.split(".") if space else [])
        if err is not None or not _is_namespace(ns) or _unusable(ns):
            continue
        try:
            if _join(space, name) != path and hasattr(ns, name):
                return "tf." + _join(space, name)
        except Exception:
            continue
    return None


def _alternative(path: str, ours: Any) -> Optional[str]:
    """A known move (``ALTERNATIVES``), else the same name elsewhere in
    ``tfshare.compat.v1``, else a near-identical name in the parent namespace."""
    for key in sorted(ALTERNATIVES, key=len, reverse=True):
        if path == key or (key.endswith(".") and (path.startswith(key) or path == key[:-1])):
            return ALTERNATIVES[key]
    parts = path.split(".")
    found = _search_leaf(parts[-1], path, ours)
    if found:
        return found
    _, parent, err = _walk(ours, parts[:-1])
    if err is None and _is_namespace(parent) and not _unusable(parent):
        names = [n for n in dir(parent) if not n.startswith("_")]
        close = difflib.get_close_matches(parts[-1], names, n=1, cutoff=0.8)
        if close:
            return "tf." + _join(*parts[:-1], close[0])
    return None


def resolve_symbols(paths: Sequence[Tuple[str, bool]], ours: Any, theirs: Any
                    ) -> Dict[str, Dict[str, Any]]:
    """Verdicts for TF1 paths (``("contrib.rnn.NASCell", private)``) against the
    namespaces ``ours`` (``tfshare.compat.v1``) and ``theirs``
    (``tensorflow.compat.v1``). Returns ``{path: {"symbol", "status",
    "alternative", "note"}}``; ``symbol`` is the path cut after its first
    non-module component (``tf.app.flags.FLAGS.batch_size`` -> ``...FLAGS``)."""
    import importlib

    out: Dict[str, Dict[str, Any]] = {}
    for path, private in paths:
        parts = path.split(".")
        if private:
            out[path] = _resolve_private(parts, importlib, ours)
            continue
        used, obj, err = _walk(ours, parts)
        # a symbol ends at its first non-module part (tf.flags.FLAGS, not
        # tf.flags.FLAGS.batch_size); an unresolved one is kept whole
        symbol = path if err is not None else ".".join(parts[:used])
        verdict: Dict[str, Any] = {"symbol": "tf." + symbol, "status": NOT_AVAILABLE,
                                   "alternative": None, "note": None}
        problem = _first_line(err) if err is not None else _unusable(obj)
        if problem is not None:
            # keep "not available (with Keras 3)"; a plain "no attribute" says nothing more
            verdict["note"] = problem if "not available" in problem or err is None else None
            verdict["alternative"] = _alternative(symbol, ours)
        else:
            t_used, t_obj, t_err = _walk(theirs, parts[:used])
            same = t_err is None and t_used == used and t_obj is obj and _unusable(t_obj) is None
            verdict["status"] = FORWARDED if same else PROVIDED
            if same and parts[0] == "keras":
                verdict["note"] = "tf.keras is Keras 3"
        out[path] = verdict
    return out


def _resolve_private(parts: List[str], importlib: Any, ours: Any) -> Dict[str, Any]:
    """A ``tensorflow.python...`` symbol: imported from TensorFlow as is, so
    tfshare's variable scopes do not reach it; the public name is suggested."""
    symbol = ".".join([_TF] + parts)
    leaf = _search_leaf(parts[-1], "", ours)
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join([_TF] + parts[:i]))
        except Exception:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except Exception:
            break
        return {"symbol": symbol, "status": FORWARDED, "alternative": leaf,
                "note": "private TensorFlow module, used as is (tfshare's variable scopes "
                        "do not apply to it)"}
    return {"symbol": symbol, "status": NOT_AVAILABLE,
            "alternative": leaf or ALTERNATIVES["python."], "note": "private TensorFlow module"}


def check_imports(lines: Sequence[str]) -> Dict[str, Optional[str]]:
    """``{import line: None if it runs, else the error}``."""
    out: Dict[str, Optional[str]] = {}
    for line in lines:
        try:
            exec(compile(line, "<import>", "exec"), {})
            out[line] = None
        except Exception as e:
            out[line] = f"{type(e).__name__}: {_first_line(e)}"
    return out


_CHILD = """
import json, sys
import tensorflow.compat.v1 as theirs
import tfshare.compat.v1 as ours
from tfshare.doctor import check_imports, resolve_symbols
job = json.load(sys.stdin)
result = {"symbols": resolve_symbols([tuple(p) for p in job["symbols"]], ours, theirs),
          "imports": check_imports(job["imports"])}
sys.stdout.write("\\n@@DOCTOR@@" + json.dumps(result))
"""

_CACHE: Dict[str, Dict[str, Any]] = {}


def _resolve_in_child(symbols: List[Tuple[str, bool]], imports: List[str]
                      ) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Optional[str]]]:
    keys = [f"{p}|{int(pr)}" for p, pr in symbols] + [f"import|{i}" for i in imports]
    todo_s = [s for s, k in zip(symbols, keys) if k not in _CACHE]
    todo_i = [i for i in imports if f"import|{i}" not in _CACHE]
    if todo_s or todo_i:
        env = {k: v for k, v in os.environ.items()
               if k not in ("TF_USE_LEGACY_KERAS", "TF2_BEHAVIOR")}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(
            {"symbols": todo_s, "imports": todo_i}), capture_output=True, text=True, env=env)
        if proc.returncode != 0 or "@@DOCTOR@@" not in proc.stdout:
            raise RuntimeError("tfshare doctor: resolving the symbols failed:\n"
                               + proc.stderr[-3000:])
        result = json.loads(proc.stdout.split("@@DOCTOR@@", 1)[1])
        for (p, pr) in todo_s:
            _CACHE[f"{p}|{int(pr)}"] = result["symbols"][p]
        for i in todo_i:
            _CACHE[f"import|{i}"] = {"error": result["imports"][i]}
    return ({p: _CACHE[f"{p}|{int(pr)}"] for p, pr in symbols},
            {i: _CACHE[f"import|{i}"]["error"] for i in imports})


# ------------------------------------------------------------------- the entry point
def doctor(paths: Sequence[str] | str) -> DoctorReport:
    """Scan ``paths`` (files, or directories searched recursively for ``*.py``)
    and classify every TensorFlow symbol they use. See the module docstring.

    >>> report = tfshare.doctor(["train.py"])
    >>> print(report.format()); report.exit_code
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files, missing = _sources([os.fspath(p) for p in paths])
    scans: List[Tuple[str, Optional[_Scan], Optional[str]]] = [
        (p, None, why) for p, why in missing]
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except (OSError, UnicodeDecodeError) as e:
            scans.append((path, None, f"cannot read: {e}"))
            continue
        try:
            scans.append((path, scan_source(source, path), None))
        except SyntaxError as e:
            scans.append((path, None, f"syntax error at line {e.lineno}: {e.msg}"))
    symbols = sorted({k for _, s, _ in scans if s for k in s.uses})
    imports = sorted({new for _, s, _ in scans if s for _, old, new, _ in s.imports
                      if new and new != old})
    verdicts, import_errors = _resolve_in_child(symbols, imports) if (symbols or imports) \
        else ({}, {})
    reports = []
    for path, scan, error in scans:
        if scan is None:
            reports.append(FileReport(path, [], [], error))
            continue
        merged: Dict[str, SymbolReport] = {}
        for (p, private), lines in scan.uses.items():
            v = verdicts[p]
            s = merged.setdefault(v["symbol"], SymbolReport(v["symbol"], v["status"], [],
                                                            v["alternative"], v["note"]))
            s.lines = sorted(set(s.lines) | set(lines))
        changes = []
        for line, old, new, note in scan.imports:
            if new and import_errors.get(new):
                note = f"the tfshare import fails ({import_errors[new]})" + (
                    f"; {note}" if note else "")
                new = None
            changes.append(ImportChange(line, old, new, note))
        reports.append(FileReport(path, sorted(merged.values(), key=lambda s: s.symbol),
                                  changes))
    return DoctorReport(reports)


def cli_command(args: Any, out: TextIO, err: Optional[TextIO] = None) -> int:
    """``tfshare doctor PATH... [--json]``: print the report; one line per
    unreadable or unparsable file on stderr. Returns the exit code."""
    err = err or sys.stderr
    report = doctor(args.paths)
    out.write(json.dumps(report.to_dict(), indent=1) + "\n" if args.json else report.format())
    for f in report.errors:
        err.write(f"tfshare doctor: error: {f.path}: {f.error}\n")
    return report.exit_code
