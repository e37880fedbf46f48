"""Write TF1 name-based checkpoints (read by ``tf.compat.v1.train.Saver`` and
``tf.train.load_checkpoint``), crash-safely.

The tensors are written under a temporary prefix in the target directory and
then renamed into place (data shards first, the ``.index`` last); files of a
checkpoint already at the same prefix are moved aside first and deleted only
after the new files are in place, so a crash leaves either the old or the new
checkpoint (or the old one's files under a ``.tfshare-old-*`` name), never
a destroyed one. The directory's ``checkpoint`` state file is updated last.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Mapping, Sequence

import numpy as np
import tensorflow as tf

from tfshare.checkpoint.select import named_variables, select_names
from tfshare.errors import CheckpointError

__all__ = ["save", "write_checkpoint"]


def _checkpoint_files(prefix: str) -> list[str]:
    directory, base = os.path.split(prefix)
    directory = directory or "."
    if not os.path.isdir(directory):
        return []
    out = []
    for f in os.listdir(directory):
        if f == base + ".index" or f.startswith(base + ".data-"):
            out.append(os.path.join(directory, f))
    return out


def _save_v2(prefix: str, tensors: Mapping[str, np.ndarray]) -> None:
    names = list(tensors)
    if tf.executing_eagerly():
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=[tf.convert_to_tensor(tensors[n]) for n in names])
        return
    with tf.Graph().as_default() as g:
        phs = [tf.compat.v1.placeholder(tf.as_dtype(np.asarray(tensors[n]).dtype), name=f"t{i}")
               for i, n in enumerate(names)]
        op = tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                               tensors=phs)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(op, feed_dict={p: tensors[n] for p, n in zip(phs, names)})


def write_checkpoint(prefix: str | os.PathLike, tensors: Mapping[str, Any],
                     update_state: bool = True) -> str:
    """Write ``{name: array}`` as a TF1 checkpoint at ``prefix``; return ``prefix``.

    Crash-safe (see the module docstring). With ``update_state`` the
    directory's ``checkpoint`` file names ``prefix`` as the latest checkpoint.
    """
    prefix = os.path.abspath(os.fspath(prefix))
    if not tensors:
        raise ValueError("No variables to save")
    for n in tensors:
        if not isinstance(n, str) or not n:
            raise TypeError(f"Checkpoint names must be non-empty strings. Received: {n!r}")
    directory, base = os.path.split(prefix)
    os.makedirs(directory, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = os.path.join(directory, f".{base}.tfshare-tmp-{token}")
    try:
        _save_v2(tmp, {n: np.asarray(v) for n, v in tensors.items()})
    except Exception:
        for f in _checkpoint_files(tmp):
            os.remove(f)
        raise
    new_files = _checkpoint_files(tmp)
    old_files = _checkpoint_files(prefix)
    backups = []
    for f in old_files:  # move the previous checkpoint aside, index first
        b = f"{f}.tfshare-old-{token}"
        backups.append(b)
    for f, b in sorted(zip(old_files, backups), key=lambda p: not p[0].endswith(".index")):
        os.replace(f, b)
    for f in sorted(new_files, key=lambda p: p.endswith(".index")):  # data first, index last
        os.replace(f, prefix + f[len(tmp):])
    for b in backups:
        os.remove(b)
    if update_state:
        _update_state(directory, prefix)
    return prefix


def _update_state(directory: str, prefix: str) -> None:
    """Rewrite ``directory/checkpoint`` (text proto, paths relative to the
    directory as Saver writes them) naming ``prefix`` latest, atomically."""
    try:
        state = tf.train.get_checkpoint_state(directory)
    except Exception:  # an unreadable state file is replaced
        state = None
    paths = []
    for p in (list(state.all_model_checkpoint_paths) if state else []):
        full = p if os.path.isabs(p) else os.path.join(directory, p)
        if os.path.abspath(full) != prefix and _checkpoint_files(os.path.abspath(full)):
            paths.append(p)
    rel = os.path.relpath(prefix, directory)
    paths.append(rel)
    text = f"model_checkpoint_path: {_quote(rel)}\n" + "".join(
        f"all_model_checkpoint_paths: {_quote(p)}\n" for p in paths)
    tmp = os.path.join(directory, f".checkpoint.tfshare-tmp-{uuid.uuid4().hex[:8]}")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(directory, "checkpoint"))


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _values(pairs: list[tuple[str, Any]], session: Any) -> dict[str, np.ndarray]:
    if tf.executing_eagerly():
        return {n: np.asarray(v.numpy()) for n, v in pairs}
    session = session or tf.compat.v1.get_default_session()
    if session is None:
        raise CheckpointError("save() in graph mode needs a session: pass session=sess or call it "
                              "inside `with sess.as_default():`.")
    fetched = session.run([v.value() if hasattr(v, "value") and callable(v.value) else v
                           for _, v in pairs])
    return {n: np.asarray(x) for (n, _), x in zip(pairs, fetched)}


def save(target: Any, path: str | os.PathLike, include: Sequence[str] | None = None,
         exclude: Sequence[str] | None = None, global_step: int | None = None,
         session: Any = None, update_state: bool = True) -> str:
    """Save ``target``'s variables as a TF1 name-based checkpoint; return its prefix.

    Names are the target's names (a Keras model's weight paths, which for
    tfshare cells are the TF1 full names; ``.name`` without ``:0`` for
    variables; dict keys; a VariableStore's full names), so
    ``tf.compat.v1.train.Saver`` restores it into the TF1 graph that has those
    names. A weight shared by several layers appears once in a Keras model and
    is written once; :func:`restore` puts it back into all of them.
    ``global_step`` appends ``-<step>`` to the prefix, as ``Saver.save`` does.
    """
    pairs = named_variables(target)
    selected, _ = select_names([n for n, _ in pairs], include, exclude)
    chosen = set(selected)
    pairs = [(n, v) for n, v in pairs if n in chosen]
    if not pairs:
        raise CheckpointError(f"No variables to save in target {target!r}"
                              + (" after include/exclude" if include or exclude else ""))
    names = [n for n, _ in pairs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"At least two variables have the same name: {dup[0]}")
    path = os.fspath(path)
    if global_step is not None:
        path = f"{path}-{int(global_step)}"
    return write_checkpoint(path, _values(pairs, session), update_state=update_state)
