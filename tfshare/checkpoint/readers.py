"""Lazy readers for TF1, TF2 object-based and Keras 3 weight files.

Every reader lists names, shapes and dtypes from the file's index without
reading any value, and reads one tensor at a time on request, so a restore
costs memory in proportion to the bytes it restores, not to the file size.

Formats and the names they present:

* **TF1 name-based** (``tf.compat.v1.train.Saver``, tfshare's :func:`save`):
  the keys as written, e.g. ``rnn/lstm_cell/kernel``.
* **TF2 object-based** (``tf.train.Checkpoint``, tf.keras ``save_weights`` in TF
  format): the object-graph key without its ``/.ATTRIBUTES/VARIABLE_VALUE``
  suffix, e.g. ``model/layer_with_weights-0/kernel``; the variable's own name
  at save time (``dense/kernel``), read from the object graph, is kept as an
  *alias* that a restore may match on.
* **Keras 3** ``.weights.h5`` / ``.keras``: Keras stores weights per object by
  index (``layers/dense/vars/0``). The reader names them by the chain of
  object names written in the file, ``<layer>/<sublayer>/<index>``, e.g.
  ``lstm/lstm_cell/0`` (containers without weights, such as a list of
  cells, add no part); :func:`restore` maps a Keras target's weight paths to
  this form (the n-th weight of the layer owning it; name scopes that are not
  objects, such as ``cell_0``, may be absent from the file's chain).
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfshare.errors import CheckpointError

__all__ = ["VariableInfo", "CheckpointReader", "open_checkpoint", "list_variables", "load_variable"]

_TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


@dataclass(frozen=True)
class VariableInfo:
    """One checkpoint entry: its presented ``name``, ``shape`` (tuple), ``dtype``
    (numpy dtype name, e.g. ``"float32"``), the ``key`` it is stored under, and
    an optional ``alias`` (the variable's name at save time, TF2 only)."""

    name: str
    shape: tuple
    dtype: str
    key: str = ""
    alias: str | None = None

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        """Bytes of the value (0 for strings)."""
        try:
            return self.size * np.dtype(self.dtype).itemsize
        except TypeError:
            return 0


class CheckpointReader:
    """Base class: ``format``, ``path``, ``variables`` (name -> VariableInfo, in
    sorted order) and ``read(name)`` -> numpy array."""

    format: str = ""

    def __init__(self, path: str):
        self.path = path
        self.variables: dict[str, VariableInfo] = {}

    def read(self, name: str) -> np.ndarray:
        raise NotImplementedError

    def __contains__(self, name: str) -> bool:
        return name in self.variables

    def _info(self, name: str) -> VariableInfo:
        try:
            return self.variables[name]
        except KeyError:
            raise CheckpointError(
                f"Tensor {name} is not found in {self.path} checkpoint "
                f"({len(self.variables)} entries)") from None

    def close(self) -> None:
        """Release file handles (a no-op for TF checkpoints)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------- TF formats
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes):
    """Yield ``(field_number, value)`` of a protobuf message (wire format)."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, value


def _object_graph_full_names(graph: bytes) -> dict[str, str]:
    """checkpoint_key -> full_name from a serialized ``TrackableObjectGraph``
    (nodes=1; TrackableObject.attributes=2; SerializedTensor: name=1,
    full_name=2, checkpoint_key=3)."""
    out: dict[str, str] = {}
    for field, node in _fields(graph):
        if field != 1:
            continue
        for f2, attr in _fields(node):
            if f2 != 2:
                continue
            parts = {f: v for f, v in _fields(attr)}
            key, full = parts.get(3), parts.get(2)
            if key and full:
                out[key.decode()] = full.decode()
    return out


class TFCheckpointReader(CheckpointReader):
    """TF1 name-based and TF2 object-based checkpoints (``tf.train.load_checkpoint``)."""

    def __init__(self, prefix: str):
        super().__init__(prefix)
        import tensorflow as tf

        try:
            self._reader = tf.train.load_checkpoint(prefix)
            shapes = self._reader.get_variable_to_shape_map()
            dtypes = self._reader.get_variable_to_dtype_map()
        except Exception as e:  # DataLossError, NotFoundError, ...
            raise CheckpointError(
                f"Cannot read checkpoint {prefix!r}: {type(e).__name__}: {_first_line(e)}") from None
        self.format = "tf2" if _OBJECT_GRAPH_KEY in shapes else "tf1"
        full_names: dict[str, str] = {}
        if self.format == "tf2":
            try:
                full_names = _object_graph_full_names(self._reader.get_tensor(_OBJECT_GRAPH_KEY))
            except Exception:  # an unreadable graph only costs the aliases
                full_names = {}
        for key in sorted(shapes):
            if key == _OBJECT_GRAPH_KEY:
                continue
            name = key
            if self.format == "tf2":
                if not key.endswith(_TF2_SUFFIX):
                    continue  # e.g. Python-state attributes
                name = key[: -len(_TF2_SUFFIX)]
            alias = full_names.get(key)
            if alias is not None and alias.endswith(":0"):
                alias = alias[:-2]
            dt = dtypes[key]
            self.variables[name] = VariableInfo(
                name, tuple(int(d) for d in shapes[key]), dt.name,
                key, alias if alias and alias != name else None)

    def read(self, name: str) -> np.ndarray:
        info = self._info(name)
        try:
            value = self._reader.get_tensor(info.key)
        except Exception as e:
            raise CheckpointError(
                f"Cannot read tensor {name!r} from checkpoint {self.path!r}: "
                f"{type(e).__name__}: {_first_line(e)}") from None
        return np.asarray(value)


# --------------------------------------------------------------- Keras formats
class KerasH5Reader(CheckpointReader):
    """Keras 3 ``.weights.h5`` (or the ``model.weights.h5`` inside a ``.keras`` zip)."""

    format = "keras_h5"

    def __init__(self, path: str):
        super().__init__(path)
        import h5py

        self._zip = None
        try:
            if zipfile.is_zipfile(path):
                self.format = "keras"
                self._zip = zipfile.ZipFile(path)
                members = [n for n in self._zip.namelist() if n.endswith(".weights.h5")]
                if not members:
                    raise CheckpointError(f"{path!r} is a zip file without a .weights.h5 member")
                # Stored members are seekable streams; compressed ones are read into memory.
                info = self._zip.getinfo(members[0])
                stream = self._zip.open(members[0])
                if info.compress_type != zipfile.ZIP_STORED:
                    stream = io.BytesIO(stream.read())
                self._file = h5py.File(stream, "r")
            else:
                self._file = h5py.File(path, "r")
        except CheckpointError:
            raise
        except Exception as e:
            raise CheckpointError(
                f"Cannot read Keras weights file {path!r}: {type(e).__name__}: {_first_line(e)}") from None
        self._paths: dict[str, str] = {}
        self._walk(self._file, [], top=True)

    def _walk(self, group, names: list[str], top: bool = False) -> None:
        import h5py

        vars_group = group.get("vars")
        own = names
        if isinstance(vars_group, h5py.Group):
            label = vars_group.attrs.get("name")
            if isinstance(label, bytes):
                label = label.decode()
            if not top:
                own = names + [str(label) if label else group.name.rsplit("/", 1)[-1]]
            for idx in sorted(vars_group.keys(), key=lambda k: (len(k), k)):
                ds = vars_group[idx]
                if isinstance(ds, h5py.Dataset):
                    name = "/".join(own + [idx])
                    self._paths[name] = ds.name
                    self.variables[name] = VariableInfo(name, tuple(ds.shape), ds.dtype.name, ds.name)
        for key in group.keys():
            child = group[key]
            if key != "vars" and isinstance(child, h5py.Group):
                self._walk(child, own)
        if top:
            self.variables = dict(sorted(self.variables.items()))

    def read(self, name: str) -> np.ndarray:
        info = self._info(name)
        try:
            return np.asarray(self._file[info.key][()])
        except Exception as e:
            raise CheckpointError(
                f"Cannot read tensor {name!r} from {self.path!r}: {type(e).__name__}: {_first_line(e)}") from None

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            if self._zip is not None:
                self._zip.close()


# ------------------------------------------------------------------- dispatch
def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else ""


def _resolve_prefix(path: str) -> str | None:
    """A TF checkpoint prefix for ``path`` (a prefix, ``prefix.index``, a data
    shard or a directory with a ``checkpoint`` file), else None."""
    import tensorflow as tf

    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(
                f"Directory {path!r} holds no checkpoint (no `checkpoint` state file naming "
                "an existing checkpoint).")
        return latest
    if os.path.exists(path + ".index"):
        return path
    if path.endswith(".index") and os.path.isfile(path):
        return path[: -len(".index")]
    if ".data-" in os.path.basename(path) and os.path.isfile(path):
        return path[: path.rindex(".data-")]
    return None


def open_checkpoint(path: str | os.PathLike) -> CheckpointReader:
    """Open ``path`` with the reader its format needs.

    ``path`` is a TF checkpoint prefix (``ckpt/model-5``), a directory with a
    ``checkpoint`` state file (its latest checkpoint), a ``.weights.h5`` file or
    a ``.keras`` file. Raises :class:`~tfshare.errors.CheckpointError` (a
    ``ValueError``) naming the path when it is missing or not a checkpoint.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"Argument `path` must be a str or os.PathLike. Received: path={path!r}")
    path = os.fspath(path)
    prefix = _resolve_prefix(path)
    if prefix is not None:
        return TFCheckpointReader(prefix)
    if not os.path.exists(path):
        raise CheckpointError(
            f"No checkpoint at path={path!r}: neither the file nor {path + '.index'!r} exists.")
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic == b"\x89HDF\r\n\x1a\n" or zipfile.is_zipfile(path):
        return KerasH5Reader(path)
    raise CheckpointError(
        f"path={path!r} is not a checkpoint: expected a TF checkpoint prefix (with a .index "
        "file), a directory holding a `checkpoint` file, a .weights.h5 or a .keras file.")


def list_variables(path: str | os.PathLike) -> list[VariableInfo]:
    """``[(name, shape, dtype), ...]`` of the checkpoint at ``path``, sorted by
    name, without reading any value. Each item is a :class:`VariableInfo`
    (``.name``, ``.shape``, ``.dtype``, ``.key``, ``.alias``, ``.size``, ``.nbytes``)."""
    with open_checkpoint(path) as reader:
        return list(reader.variables.values())


def load_variable(path: str | os.PathLike, name: str) -> np.ndarray:
    """The value of entry ``name`` (a presented name, or a raw key) as numpy."""
    with open_checkpoint(path) as reader:
        if name not in reader.variables:
            for info in reader.variables.values():
                if name in (info.key, info.alias):
                    name = info.name
                    break
        return reader.read(name)


def _dtype_name(dtype: Any) -> str:
    """numpy dtype name of a tf/keras/numpy dtype (``"float32"``)."""
    name = getattr(dtype, "name", None) or str(dtype)
    name = name.replace("tf.", "")
    return "string" if name in ("string", "object") else name
