"""Write TF1 name-based checkpoints: streamed, crash-safe and reader-safe.

The result is a V2 checkpoint (``prefix.index`` + ``prefix.data-<i>-of-<n>``)
that ``tf.compat.v1.train.Saver`` (TF 1.x and 2.x) and ``tf.train.load_checkpoint``
read. A save to ``prefix`` in directory ``D`` runs, holding the lock file
``D/.tfshare-lock``:

1. **clean**: files named ``D/.<name>.tfshare-tmp-*`` are temporaries of an
   earlier save that died (only tfshare makes such names; under the lock no
   other save is using them) and are removed;
2. **stream**: the tensors are written in groups of at most
   :data:`GROUP_BYTES` (a larger tensor alone), each group fetched, written
   with ``SaveV2`` to its own temporary prefix, and released, so memory peaks at
   about the largest tensor plus a constant;
3. **switch**: the groups' data files become the new checkpoint's shards. Their
   count ``n`` is chosen to differ from that of every shard set already at
   ``prefix`` (empty padding shards raise it), so the new data files never
   replace files the current checkpoint's readers use. They are fsynced and
   renamed into place, then the merged index, written to a temporary and
   fsynced, is renamed over ``prefix.index``: the one atomic step. Before it a
   reader sees the old checkpoint, after it the new one, both complete;
4. **retire**: the shard set the old index used is kept until the next save
   switches (a reader that opened the old index can still read it); that save
   removes it, with any shard set an interrupted save left at ``prefix``;
5. **state**: the directory's ``checkpoint`` file is rewritten through a
   temporary and a rename, naming ``prefix`` the latest checkpoint.

A ``kill -9`` at any point leaves the previous checkpoint loadable; the next
save removes what the dead one left. No other file is touched: a user's
``model.data-README.txt`` or ``model.data-00000-of-00001.backup`` stays.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import uuid
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from tfshare.checkpoint import _bundle
from tfshare.checkpoint._text import first_line
from tfshare.checkpoint.readers import data_file
from tfshare.checkpoint.select import named_variables, select_names
from tfshare.errors import CheckpointError

__all__ = ["save", "write_checkpoint"]

#: Tensors are fetched and written in groups of at most this many bytes.
GROUP_BYTES = 64 << 20
LOCK_NAME = ".tfshare-lock"
_TMP_MARK = ".tfshare-tmp-"


# ---------------------------------------------------------------- directory
@contextlib.contextmanager
def _locked(directory: str):
    fd = os.open(os.path.join(directory, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_stale_temporaries(directory: str) -> None:
    for f in os.listdir(directory):
        if f.startswith(".") and _TMP_MARK in f:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, f))


def _shard_sets(prefix: str) -> dict[int, list[str]]:
    """``{n: [files]}``: the data files at ``prefix``, by shard count; only
    exact ``<base>.data-<i>-of-<n>`` names."""
    directory, base = os.path.split(prefix)
    rx = re.compile(re.escape(base) + r"\.data-(\d{5})-of-(\d{5})")
    out: dict[int, list[str]] = {}
    for f in os.listdir(directory):
        m = rx.fullmatch(f)
        if m and int(m.group(1)) < int(m.group(2)):
            out.setdefault(int(m.group(2)), []).append(os.path.join(directory, f))
    return out


def _live_shards(prefix: str) -> int | None:
    try:
        with open(prefix + ".index", "rb") as f:
            return _bundle.read_index(f.read()).num_shards
    except (OSError, ValueError):
        return None


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------- groups
def _groups(sizes: Sequence[int]) -> list[list[int]]:
    """Consecutive index groups of at most ``GROUP_BYTES`` (a larger item alone)."""
    out: list[list[int]] = []
    total = 0
    for i, n in enumerate(sizes):
        if not out or total + n > GROUP_BYTES:
            out.append([])
            total = 0
        out[-1].append(i)
        total += n
    return out


def _save_v2(prefix: str, names: list[str], values: list[Any]) -> None:
    """One ``SaveV2`` of ``values``. TF tensors and variables go to the eager op
    as they are (no copy); numpy arrays are fed to a private graph (no copy)."""
    if tf.executing_eagerly() and all(tf.is_tensor(v) or isinstance(v, tf.Variable) for v in values):
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=values)
        return
    arrays = [np.asarray(v) for v in values]
    with tf.Graph().as_default():
        phs = [tf.compat.v1.placeholder(tf.as_dtype(a.dtype)) for a in arrays]
        op = tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                               tensors=phs)
        with tf.compat.v1.Session() as sess:
            sess.run(op, feed_dict=dict(zip(phs, arrays, strict=True)))


class _Assembly:
    """The shards of one save, written under temporary names, then switched in."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.directory, base = os.path.split(prefix)
        self.tmp = os.path.join(self.directory, f".{base}{_TMP_MARK}{uuid.uuid4().hex[:8]}")
        self.entries: dict[str, Any] = {}
        self.header = None
        self.shards: list[str] = []

    def add_group(self, names: list[str], values: list[Any]) -> None:
        part = f"{self.tmp}-{len(self.shards)}"
        _save_v2(part, names, values)
        with open(part + ".index", "rb") as f:
            index = _bundle.read_index(f.read())
        os.remove(part + ".index")
        self.header = index.header
        for name, entry in index.entries.items():
            entry.shard_id = len(self.shards)
            self.entries[name] = entry
        self.shards.append(data_file(part, 0, 1))

    def switch(self) -> None:
        """Rename the shards into place and the index over the old one."""
        live = _live_shards(self.prefix)
        for count, files in _shard_sets(self.prefix).items():
            if count != live:  # the previous save's retired set, or leftovers
                for f in files:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(f)
        n = len(self.shards)
        if n == live:
            n += 1
        for i in range(len(self.shards), n):  # a padding shard: empty, never read
            pad = f"{self.tmp}-pad{i}"
            open(pad, "wb").close()
            self.shards.append(pad)
        header = type(self.header)()
        header.CopyFrom(self.header)
        header.num_shards = n
        index_tmp = self.tmp + ".index"
        with open(index_tmp, "wb") as f:
            f.write(_bundle.write_index(header, self.entries))
            f.flush()
            os.fsync(f.fileno())
        for i, shard in enumerate(self.shards):
            _fsync(shard)
            os.replace(shard, data_file(self.prefix, i, n))
        _fsync(self.directory)
        os.replace(index_tmp, self.prefix + ".index")
        _fsync(self.directory)


def stream_checkpoint(prefix: str | os.PathLike, names: Sequence[str], sizes: Sequence[int],
                      fetch: Callable[[list[str]], list[Any]], update_state: bool = True) -> str:
    """Write tensors ``names`` (byte ``sizes``) as a checkpoint at ``prefix``,
    fetching values group by group with ``fetch(group_names) -> values``; return
    the absolute prefix. Raises ``OSError`` naming the checkpoint when writing
    fails (nothing is left behind)."""
    names = _check_names(names)
    prefix = os.path.abspath(os.fspath(prefix))
    directory = os.path.dirname(prefix)
    try:
        os.makedirs(directory, exist_ok=True)
        with _locked(directory):
            _remove_stale_temporaries(directory)
            job = _Assembly(prefix)
            try:
                for group in _groups(list(sizes)):
                    group_names = [names[i] for i in group]
                    job.add_group(group_names, fetch(group_names))
                job.switch()
            finally:
                _remove_stale_temporaries(directory)
            if update_state:
                _update_state(directory, prefix)
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        raise _os_error(type(e), e.errno, f"Cannot write checkpoint {prefix!r}: "
                        f"{e.strerror or e}{where}") from None
    except tf.errors.OpError as e:
        raise _os_error(OSError, None, f"Cannot write checkpoint {prefix!r}: {first_line(e)}") from None
    return prefix


def _os_error(kind: type, errno: int | None, message: str) -> OSError:
    """An ``OSError`` (of the original subclass) whose text is ``message``."""
    err = kind(message)
    err.errno = errno
    return err


def _check_names(names: Iterable[Any]) -> list[str]:
    names = list(names)
    if not names:
        raise ValueError("No variables to save")
    for n in names:
        if not isinstance(n, str) or not n:
            raise TypeError(f"Checkpoint names must be non-empty strings. Received: {n!r}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"At least two variables have the same name: {dup[0]}")
    return names


def write_checkpoint(prefix: str | os.PathLike, tensors: Mapping[str, Any],
                     update_state: bool = True) -> str:
    """Write ``{name: array}`` as a TF1 checkpoint at ``prefix``; return the
    absolute prefix.

    Crash-safe and reader-safe (see the module docstring). With
    ``update_state`` the directory's ``checkpoint`` file names ``prefix`` as
    the latest checkpoint.
    """
    names = _check_names(tensors)
    sizes = [_nbytes(tensors[n]) for n in names]
    return stream_checkpoint(prefix, names, sizes, lambda group: [tensors[n] for n in group],
                             update_state)


def _nbytes(value: Any) -> int:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    try:
        size = int(np.prod([int(d) for d in shape], dtype=np.int64)) if shape is not None else 1
        return size * int(tf.as_dtype(dtype).size)
    except (TypeError, ValueError):
        return GROUP_BYTES  # unknown: alone in its group


def _update_state(directory: str, prefix: str) -> None:
    """Rewrite ``directory/checkpoint`` (text proto, paths relative to the
    directory as Saver writes them) naming ``prefix`` latest, atomically."""
    try:
        state = tf.train.get_checkpoint_state(directory)
    except Exception:  # an unreadable state file is replaced
        state = None
    paths = []
    for p in (list(state.all_model_checkpoint_paths) if state else []):
        full = os.path.abspath(p if os.path.isabs(p) else os.path.join(directory, p))
        if full != prefix and os.path.isfile(full + ".index"):
            paths.append(p)
    rel = os.path.relpath(prefix, directory)
    paths.append(rel)
    text = f"model_checkpoint_path: {_quote(rel)}\n" + "".join(
        f"all_model_checkpoint_paths: {_quote(p)}\n" for p in paths)
    tmp = os.path.join(directory, f".checkpoint{_TMP_MARK}{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, "checkpoint"))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetcher(pairs: list[tuple[str, Any]], session: Any) -> Callable[[list[str]], list[Any]]:
    """Values of the named variables, group by group: the variables themselves
    in eager mode (read without a copy), fetched numpy arrays in graph mode."""
    by_name = dict(pairs)
    if tf.executing_eagerly():
        def eager(group: list[str]) -> list[Any]:
            out = []
            for n in group:
                v = by_name[n]
                inner = getattr(v, "value", None)
                out.append(inner if isinstance(inner, tf.Variable) else v)
            return out
        return eager
    session = session or tf.compat.v1.get_default_session()
    if session is None:
        raise CheckpointError("save() in graph mode needs a session: pass session=sess or call it "
                              "inside `with sess.as_default():`.")

    def graph(group: list[str]) -> list[Any]:
        fetches = []
        for n in group:
            v = by_name[n]
            fetches.append(v.value() if hasattr(v, "value") and callable(v.value) else v)
        return list(session.run(fetches))
    return graph


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
    ``update_state`` (default) names the checkpoint latest in the directory's
    ``checkpoint`` file, so ``tf.train.latest_checkpoint(dir)`` finds it.

    Streamed (memory: about the largest variable), crash-safe and reader-safe:
    see :mod:`tfshare.checkpoint.writer`.
    """
    pairs = named_variables(target)
    selected, _ = select_names([n for n, _ in pairs], include, exclude)
    chosen = set(selected)
    pairs = [(n, v) for n, v in pairs if n in chosen]
    if not pairs:
        raise CheckpointError(f"No variables to save in target {target!r}"
                              + (" after include/exclude" if include or exclude else ""))
    names = _check_names(n for n, _ in pairs)
    path = os.fspath(path)
    if global_step is not None:
        path = f"{path}-{int(global_step)}"
    sizes = [_nbytes(v) for _, v in pairs]
    return stream_checkpoint(path, names, sizes, _fetcher(pairs, session), update_state)
