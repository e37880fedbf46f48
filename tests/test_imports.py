"""Import rules (docs/interfaces.md, "Layers and imports"), checked on the source text.

Every ``.py`` under ``tfshare/`` and ``compat/`` is parsed with ``ast``; none
may import ``tensorflow.python``, ``keras.src`` or ``tf_keras`` (public APIs
only), and no ``tfshare/`` module may import ``tfshare.compat``.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = ("tensorflow.python", "keras.src", "tf_keras")


def _sources(sub: str) -> list[pathlib.Path]:
    return sorted((ROOT / sub).rglob("*.py"))


def imported_modules(source: str, filename: str = "<src>", package: str = "") -> list[str]:
    """Absolute names of every module imported by ``source`` (relative
    imports resolved against ``package``; ``from a import b`` yields both
    ``a`` and ``a.b``; ``importlib.import_module("x")`` literals count)."""
    tree = ast.parse(source, filename=filename)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([p for p in parts if p] + ([base] if base else []))
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("import_module", "__import__"):
                names.append(node.args[0].value)
    return names


def _package_of(path: pathlib.Path, root: pathlib.Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "compat":
        parts = ["tfshare", "compat"] + parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    else:
        parts = parts[:-1]
    return ".".join(parts)


def _violations(path: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    mods = imported_modules(path.read_text(), str(path), _package_of(path, root))
    bad = []
    for mod in mods:
        for prefix in FORBIDDEN:
            if mod == prefix or mod.startswith(prefix + "."):
                bad.append(f"{path.relative_to(root)} imports {mod}")
        in_core = path.relative_to(root).parts[0] == "tfshare"
        if in_core and (mod == "tfshare.compat" or mod.startswith("tfshare.compat.")):
            bad.append(f"{path.relative_to(root)} imports {mod} (tfshare must not import compat)")
    return bad


def test_there_are_sources_to_check():
    assert len(_sources("tfshare")) >= 10
    assert len(_sources("compat")) >= 2


@pytest.mark.parametrize("sub", ["tfshare", "compat"])
def test_no_forbidden_imports(sub):
    problems = [p for path in _sources(sub) for p in _violations(path)]
    assert not problems, "\n".join(problems)


# The checker itself must catch every forbidden form (so the tests above can fail).
@pytest.mark.parametrize("source,package,expected", [
    ("import tensorflow.python.ops.rnn", "tfshare", "tensorflow.python.ops.rnn"),
    ("from tensorflow.python.ops import variable_scope", "tfshare", "tensorflow.python.ops"),
    ("from keras.src.layers import Layer", "tfshare", "keras.src.layers"),
    ("import tf_keras as k", "tfshare", "tf_keras"),
    ("from tf_keras.src import layers", "tfshare", "tf_keras.src"),
    ("from tfshare.compat import v1", "tfshare.cells", "tfshare.compat"),
    ("from ..compat import v1", "tfshare.cells", "tfshare.compat"),
    ("from . import compat", "tfshare", "tfshare.compat"),
    ("importlib.import_module('keras.src.utils')", "tfshare", "keras.src.utils"),
    ("def f():\n    import tf_keras\n", "tfshare", "tf_keras"),
])
def test_checker_finds_forbidden_forms(source, package, expected):
    assert expected in imported_modules(source, package=package)


def test_checker_flags_files(tmp_path):
    (tmp_path / "tfshare").mkdir()
    bad = tmp_path / "tfshare" / "bad.py"
    bad.write_text("from tfshare.compat.v1 import nn\nimport keras.src\n")
    ok = tmp_path / "tfshare" / "ok.py"
    ok.write_text("import keras\nimport tensorflow as tf\nfrom tfshare import errors\n")
    assert len(_violations(bad, tmp_path)) == 3  # tfshare.compat.v1 (+ .nn) and keras.src
    assert _violations(ok, tmp_path) == []
