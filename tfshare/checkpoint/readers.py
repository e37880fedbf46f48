"""Lazy, defensive readers for TF1, TF2 object-based and Keras 3 weight files.

Every reader lists names, shapes and dtypes from the file's header (a TF
checkpoint's ``.index``, an HDF5 file's object headers) without reading any
value, checks that every entry fits in the bytes actually present, and reads
values only on request, so a restore costs memory in proportion to the bytes
it restores, and a damaged or hostile file gives a :class:`CheckpointError`
naming the file and the defect instead of a crash or a huge allocation.

Formats and the names they present:

* **TF1 name-based** (``tf.compat.v1.train.Saver`` V2 and V1 formats,
  tfshare's :func:`save`): the keys as written, e.g. ``rnn/lstm_cell/kernel``.
  A variable saved in slices (a partitioned variable) is one entry with its
  full shape, and reads as the full tensor.
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

Untrusted files: an HDF5 file may not link outside itself (external links,
external or virtual datasets are refused, as Keras refuses them) nor contain
soft links or link cycles; of a ``.keras`` archive only the member
``model.weights.h5`` is read, as Keras does, and only after its declared sizes
are checked; a compressed member is inflated on demand (memory stays bounded,
whatever the member's size).
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from tfshare.checkpoint import _bundle
from tfshare.checkpoint._text import first_line
from tfshare.errors import CheckpointError

__all__ = ["VariableInfo", "CheckpointReader", "open_checkpoint", "list_variables", "load_variable",
           "resolve_checkpoint"]

_TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_TABLE_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)
#: The member of a ``.keras`` archive Keras loads weights from.
KERAS_WEIGHTS_MEMBER = "model.weights.h5"


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
        """Bytes of the value (0 for strings and other variable-size types)."""
        return self.size * _itemsize(self.dtype)


def _itemsize(dtype: str) -> int:
    try:
        return int(tf.as_dtype(dtype).size) if dtype != "string" else 0
    except TypeError:
        return 0


class CheckpointReader:
    """Base class: ``format``, ``path``, ``variables`` (name -> VariableInfo, in
    sorted order), ``read(name)`` -> numpy array and ``read_many(names)`` ->
    ``{name: value}`` (values a ``tf.Tensor`` or numpy array), all from one
    consistent version of the file."""

    format: str = ""

    def __init__(self, path: str):
        self.path = path
        self.variables: dict[str, VariableInfo] = {}

    def read_many(self, names: Iterable[str]) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, name: str) -> np.ndarray:
        """The value of entry ``name`` as a numpy array."""
        return np.asarray(self.read_many([name])[name])

    def __contains__(self, name: str) -> bool:
        return name in self.variables

    def _info(self, name: str) -> VariableInfo:
        try:
            return self.variables[name]
        except KeyError:
            raise CheckpointError(
                f"Tensor {name} is not found in {self.path} checkpoint "
                f"({len(self.variables)} entries)") from None

    def _check_value(self, info: VariableInfo, value: Any) -> None:
        shape = tuple(int(d) for d in value.shape)
        if shape != tuple(info.shape):
            raise CheckpointError(
                f"Checkpoint {self.path}: tensor {info.name} has shape {list(shape)}, its index says "
                f"{list(info.shape)}; the file is corrupt or changed while being read.")

    def close(self) -> None:
        """Release file handles."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------- TF formats
def _dtype_of(enum: int, where: str) -> tf.DType:
    try:
        return tf.as_dtype(enum)
    except TypeError:
        raise CheckpointError(f"{where}: unknown dtype enum {enum}") from None


def _restore_op(prefix: str, keys: list[str], dtypes: list[tf.DType]) -> list[Any]:
    """Read ``keys`` with one ``RestoreV2`` (one opening of the index, so one
    version of the checkpoint): eager tensors, or numpy arrays in graph mode."""
    if tf.executing_eagerly():
        return list(tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=keys,
                                         shape_and_slices=[""] * len(keys), dtypes=dtypes))
    with tf.Graph().as_default():
        op = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=keys,
                                  shape_and_slices=[""] * len(keys), dtypes=dtypes)
        with tf.compat.v1.Session() as sess:
            return list(sess.run(op))


class _TFReader(CheckpointReader):
    """Shared by the V2 and V1 readers: names from keys, object-graph aliases,
    values read with ``RestoreV2``."""

    def _add_entries(self, shapes: dict[str, tuple], dtypes: dict[str, str]) -> None:
        self.format = "tf2" if _OBJECT_GRAPH_KEY in shapes else "tf1"
        full_names = self._object_graph_names() if self.format == "tf2" else {}
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
            self.variables[name] = VariableInfo(name, shapes[key], dtypes[key], key,
                                                alias if alias and alias != name else None)

    def _object_graph_names(self) -> dict[str, str]:
        """checkpoint key -> the variable's full name at save time; an
        unreadable graph only costs the aliases."""
        try:
            raw = _restore_op(self.path, [_OBJECT_GRAPH_KEY], [tf.string])[0]
            raw = raw.numpy() if hasattr(raw, "numpy") else raw
            graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(bytes(raw))
        except Exception:
            return {}
        return {attr.checkpoint_key: attr.full_name
                for node in graph.nodes for attr in node.attributes
                if attr.checkpoint_key and attr.full_name}

    def _identity(self) -> tuple:
        return ()

    def read_many(self, names: Iterable[str]) -> dict[str, Any]:
        infos = [self._info(n) for n in dict.fromkeys(names)]
        if not infos:
            return {}
        for attempt in range(3):
            before = self._identity()
            try:
                values = _restore_op(self.path, [i.key for i in infos],
                                     [tf.as_dtype(i.dtype) for i in infos])
                break
            except (tf.errors.NotFoundError, tf.errors.DataLossError) as e:
                # a save replaced the checkpoint while it was read: read the new one
                if attempt < 2 and self._identity() != before:
                    continue
                raise CheckpointError(f"Cannot read tensors from checkpoint {self.path!r}: "
                                      f"{type(e).__name__}: {first_line(e)}") from None
            except tf.errors.OpError as e:
                raise CheckpointError(f"Cannot read tensors from checkpoint {self.path!r}: "
                                      f"{type(e).__name__}: {first_line(e)}") from None
        out = {}
        for info, value in zip(infos, values, strict=True):
            self._check_value(info, value)
            out[info.name] = value
        return out


class TFCheckpointReader(_TFReader):
    """A V2 checkpoint (``prefix.index`` + data shards): the index is parsed
    here and every entry checked against the data files' sizes; values are
    read by TensorFlow (which checks their CRC32C)."""

    def __init__(self, prefix: str):
        super().__init__(prefix)
        for attempt in range(3):
            before = self._identity()
            try:
                shapes, dtypes = self._load_index()
                break
            except CheckpointError:
                # a save replaced the checkpoint between reading its index and its
                # data files' sizes: read the new one
                if attempt == 2 or self._identity() == before:
                    raise
        self._add_entries(shapes, dtypes)

    def _load_index(self) -> tuple[dict, dict]:
        index_path = self.path + ".index"
        try:
            with open(index_path, "rb") as f:
                data = f.read()
            index = _bundle.read_index(data)
        except _bundle.IndexError_ as e:
            raise CheckpointError(f"Cannot read checkpoint {self.path!r}: {index_path}: {e}") from None
        except OSError as e:
            raise CheckpointError(f"Cannot read checkpoint {self.path!r}: {e}") from None
        shapes, dtypes = {}, {}
        sizes = self._shard_sizes(index.num_shards)
        for key, entry in list(index.entries.items()) + list(index.slices.items()):
            shape, dtype = self._check_entry(key, entry, sizes)
            if isinstance(key, str):
                shapes[key], dtypes[key] = shape, dtype.name
        return shapes, dtypes

    def _shard_sizes(self, n: int) -> list[int | None]:
        out = []
        for i in range(n):
            try:
                out.append(os.path.getsize(data_file(self.path, i, n)))
            except OSError:
                out.append(None)
        return out

    def _check_entry(self, key: Any, entry: Any, sizes: list[int | None]) -> tuple[tuple, tf.DType]:
        label = key if isinstance(key, str) else "a slice"
        where = f"Checkpoint {self.path!r}, tensor {label}"
        dtype = _dtype_of(entry.dtype, where)
        shape = tuple(int(d.size) for d in entry.shape.dim)
        if entry.slices:
            return shape, dtype  # the pieces are entries of their own
        n = len(sizes)
        have = sizes[entry.shard_id]
        if have is None:
            raise CheckpointError(f"{where}: its data file {data_file(self.path, entry.shard_id, n)} "
                                  "is missing")
        if entry.offset + entry.size > have:
            raise CheckpointError(
                f"{where}: the index places it at bytes {entry.offset}..{entry.offset + entry.size} "
                f"of {data_file(self.path, entry.shard_id, n)}, which holds {have} bytes "
                "(truncated or not this checkpoint's data)")
        if dtype != tf.string and dtype.size:
            want = int(np.prod(shape, dtype=np.int64)) * dtype.size
            if want != entry.size:
                raise CheckpointError(f"{where}: shape {list(shape)} {dtype.name} needs {want} bytes, "
                                      f"the index says {entry.size}")
        return shape, dtype

    def _identity(self) -> tuple:
        try:
            st = os.stat(self.path + ".index")
        except OSError:
            return ()
        return (st.st_ino, st.st_size, st.st_mtime_ns)


class TFV1CheckpointReader(_TFReader):
    """The V1 format (``Saver(write_version=SaverDef.V1)``: one table file at
    the prefix), listed and read by TensorFlow."""

    def __init__(self, prefix: str):
        super().__init__(prefix)
        try:
            reader = tf.train.load_checkpoint(prefix)
            shapes = {k: tuple(int(d) for d in s) for k, s in reader.get_variable_to_shape_map().items()}
            dtypes = {k: d.name for k, d in reader.get_variable_to_dtype_map().items()}
        except Exception as e:  # DataLossError, NotFoundError, ...
            raise CheckpointError(
                f"Cannot read checkpoint {prefix!r}: {type(e).__name__}: {first_line(e)}") from None
        self._add_entries(shapes, dtypes)


def data_file(prefix: str, shard: int, num_shards: int) -> str:
    """``prefix.data-00000-of-00001``: the name of a V2 checkpoint's data shard."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


# --------------------------------------------------------------- Keras formats
#: A dataset may declare at most this many times the bytes it stores (plus 1 MiB)
#: before reading it is refused as a shape bomb.
_H5_MAX_EXPANSION = 1000
#: Deflate cannot expand more than ~1032:1; a member declaring more is lying.
_DEFLATE_MAX_RATIO = 1032


class _MemberStream(io.RawIOBase):
    """A seekable read-only view of one zip member, inflated on demand.

    Stored members are a window on the archive. Deflated members are inflated
    forward in bounded chunks; a copy of the inflater's state (and of the at
    most ``INPUT`` compressed bytes it has not consumed) is kept every
    ``CHECKPOINT`` output bytes, so a backward seek restarts from the nearest
    one, not from the start. Memory: one output chunk plus ~60 KB per
    checkpoint. The output is capped at the member's declared size.
    """

    CHUNK = 1 << 18  # output per step
    INPUT = 1 << 14  # compressed bytes read per step (a checkpoint keeps at most this)
    CHECKPOINT = 8 << 20

    def __init__(self, f: Any, start: int, compressed: int, size: int, deflated: bool):
        super().__init__()
        self._f, self._start, self._csize, self._size = f, start, compressed, size
        self._deflated = deflated
        self._pos = 0
        if deflated:
            self._checkpoints = [(0, 0, zlib.decompressobj(-15), b"")]
            self._restore(self._checkpoints[0])
            self._cache_start, self._cache = 0, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), max(0, self._size - self._pos))
        done = 0
        while done < n:
            chunk = self._read_at(self._pos + done, n - done)
            if not chunk:
                raise OSError(f"zip member ends at byte {self._pos + done}, declared {self._size}")
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        self._pos += done
        return done

    def _read_at(self, pos: int, n: int) -> bytes:
        if not self._deflated:
            self._f.seek(self._start + pos)
            return self._f.read(n)
        if not (self._cache_start <= pos < self._cache_start + len(self._cache)):
            self._produce_until(pos)
        off = pos - self._cache_start
        return self._cache[off:off + n]

    def _restore(self, cp: tuple) -> None:
        self._out, self._in, dobj, self._tail = cp
        self._dobj = dobj.copy()

    def _produce_until(self, pos: int) -> None:
        if pos < self._out:  # backward: the nearest checkpoint at or before pos
            self._restore(max((c for c in self._checkpoints if c[0] <= pos), key=lambda c: c[0]))
        else:
            later = [c for c in self._checkpoints if self._out < c[0] <= pos]
            if later:
                self._restore(max(later, key=lambda c: c[0]))
        while True:
            data = self._tail
            if not data and self._in < self._csize:
                self._f.seek(self._start + self._in)
                data = self._f.read(min(self.INPUT, self._csize - self._in))
                if not data:
                    raise OSError("zip member's compressed data ends early")
                self._in += len(data)
            try:
                out = self._dobj.decompress(data, self.CHUNK)
            except zlib.error as e:
                raise OSError(f"zip member is not valid deflate data: {e}") from None
            self._tail = self._dobj.unconsumed_tail
            if self._out + len(out) > self._size:
                raise OSError(f"zip member inflates beyond its declared {self._size} bytes")
            if not out:
                if self._dobj.eof:
                    raise OSError(f"zip member inflates to {self._out} bytes, declared {self._size}")
                if not self._tail and self._in >= self._csize:
                    raise OSError("zip member's compressed data ends early")
                continue
            self._cache_start, self._cache = self._out, out
            self._out += len(out)
            last = self._checkpoints[-1][0]
            if self._out >= last + self.CHECKPOINT:
                self._checkpoints.append((self._out, self._in, self._dobj.copy(), self._tail))
            if self._cache_start <= pos < self._out:
                return


def _aligned_empty(shape: tuple, dtype: np.dtype, align: int = 64) -> np.ndarray:
    """An uninitialised array whose data is ``align``-byte aligned, so that
    TensorFlow can use its memory without a copy."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + align, np.uint8)
    offset = -raw.ctypes.data % align
    return raw[offset:offset + nbytes].view(dtype).reshape(shape)


def _read_dataset(ds: Any) -> np.ndarray:
    if ds.dtype.kind not in "biufc" or not ds.shape:
        return np.asarray(ds[()])
    out = _aligned_empty(tuple(ds.shape), ds.dtype)
    if out.size:
        ds.read_direct(out)
    return out


def _open_keras_member(path: str) -> tuple[Any, Any]:
    """(raw file, stream) of ``model.weights.h5`` in the ``.keras`` archive ``path``."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        if KERAS_WEIGHTS_MEMBER not in names and "model.weights.npz" in names:
            raise CheckpointError(f"{path!r} holds its weights as model.weights.npz (Keras' npz "
                                  "weights format), which tfshare does not read")
        if KERAS_WEIGHTS_MEMBER not in names:
            other = [n for n in names if n.endswith((".weights.h5", ".weights.npz"))]
            raise CheckpointError(
                f"{path!r} is a zip archive without a {KERAS_WEIGHTS_MEMBER} member (Keras loads "
                f"weights only from that member; found: {other or names[:5]})")
        info = zf.getinfo(KERAS_WEIGHTS_MEMBER)
    if info.flag_bits & 0x1:
        raise CheckpointError(f"{path!r}: {KERAS_WEIGHTS_MEMBER} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(f"{path!r}: {KERAS_WEIGHTS_MEMBER} uses compression method "
                              f"{info.compress_type}; only stored and deflated members are read")
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    limit = info.compress_size * _DEFLATE_MAX_RATIO + (1 << 16) if deflated else info.compress_size
    if info.file_size > limit:
        raise CheckpointError(
            f"{path!r}: {KERAS_WEIGHTS_MEMBER} declares {info.file_size} bytes from "
            f"{info.compress_size} stored, more than its compression can produce; refusing a "
            "possible decompression bomb")
    f = open(path, "rb")
    try:
        f.seek(info.header_offset)
        local = f.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise CheckpointError(f"{path!r}: bad local header for {KERAS_WEIGHTS_MEMBER}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if start + info.compress_size > os.fstat(f.fileno()).st_size:
            raise CheckpointError(f"{path!r}: {KERAS_WEIGHTS_MEMBER} extends past the end of the file")
        return f, _MemberStream(f, start, info.compress_size, info.file_size, deflated)
    except BaseException:
        f.close()
        raise


class KerasH5Reader(CheckpointReader):
    """Keras 3 ``.weights.h5`` (or the ``model.weights.h5`` inside a ``.keras`` zip)."""

    format = "keras_h5"

    def __init__(self, path: str):
        super().__init__(path)
        import h5py

        self._raw = None
        self._file = None
        try:
            if zipfile.is_zipfile(path):
                self.format = "keras"
                self._raw, stream = _open_keras_member(path)
                self._file = h5py.File(stream, "r")
                self._file_bytes = stream._size
            else:
                self._file = h5py.File(path, "r")
                self._file_bytes = os.path.getsize(path)
            self._walk()
        except CheckpointError:
            self.close()
            raise
        except Exception as e:
            self.close()
            raise CheckpointError(
                f"Cannot read Keras weights file {path!r}: {type(e).__name__}: {first_line(e)}") from None

    def _refuse(self, what: str) -> CheckpointError:
        return CheckpointError(f"Not allowed: Keras weights file {self.path!r} holds {what}; tfshare "
                               "reads nothing outside the file and, like Keras, follows no links")

    def _walk(self) -> None:
        """Visit every group once, iteratively, refusing links out of the file,
        soft links and groups reachable twice (link cycles)."""
        import h5py

        seen: dict[Any, str] = {}
        todo = [(self._file, "", [], True)]
        while todo:
            group, where, names, top = todo.pop()
            addr = h5py.h5o.get_info(group.id).addr
            if addr in seen:
                first = seen[addr]
                kind = "a link cycle" if where.startswith(first + "/") else "a group linked twice"
                raise self._refuse(f"{kind} ({first or '/'} is reached again at {where})")
            seen[addr] = where
            self._check_links(group, where)
            own = names
            vars_group = group.get("vars")
            if isinstance(vars_group, h5py.Group):
                self._check_links(vars_group, where + "/vars")
                label = vars_group.attrs.get("name")
                if isinstance(label, bytes):
                    label = label.decode("utf-8", "replace")
                if not top:
                    own = names + [str(label) if label else where.rsplit("/", 1)[-1]]
                for idx in sorted(vars_group.keys(), key=lambda k: (len(k), k)):
                    ds = vars_group[idx]
                    if isinstance(ds, h5py.Dataset):
                        self._add_dataset("/".join(own + [idx]), ds)
            for key in reversed(list(group.keys())):
                child = group[key]
                if key != "vars" and isinstance(child, h5py.Group):
                    todo.append((child, f"{where}/{key}", own, False))
        self.variables = dict(sorted(self.variables.items()))

    def _check_links(self, group: Any, where: str) -> None:
        import h5py

        for key in group.keys():
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise self._refuse(f"an HDF5 ExternalLink {where}/{key} -> {link.filename}:{link.path}")
            if isinstance(link, h5py.SoftLink):
                try:
                    state = "dangling " if group.get(key) is None else ""
                except Exception:  # a cycle of soft links does not resolve
                    state = "unresolvable "
                raise self._refuse(f"a {state}HDF5 SoftLink {where}/{key} -> {link.path}")

    def _add_dataset(self, name: str, ds: Any) -> None:
        if ds.external:
            raise self._refuse(f"a dataset {ds.name} stored in external files {ds.external}")
        if ds.is_virtual:
            raise self._refuse(f"a virtual dataset {ds.name}")
        shape = tuple(int(d) for d in ds.shape) if ds.shape is not None else ()
        self.variables[name] = VariableInfo(name, shape, ds.dtype.name, ds.name)

    def _dataset(self, info: VariableInfo) -> Any:
        ds = self._file[info.key]
        declared = info.size * ds.dtype.itemsize
        stored = ds.id.get_storage_size()
        if declared > _H5_MAX_EXPANSION * stored + (1 << 20) or (
                not ds.compression and declared > self._file_bytes):
            raise CheckpointError(
                f"Not allowed: {self.path!r}: dataset {info.key} declares {declared} bytes but "
                f"stores {stored}; refusing a possible shape bomb")
        return ds

    def read_many(self, names: Iterable[str]) -> dict[str, Any]:
        out = {}
        for name in dict.fromkeys(names):
            info = self._info(name)
            try:
                value = _read_dataset(self._dataset(info))
            except CheckpointError:
                raise
            except Exception as e:
                raise CheckpointError(f"Cannot read tensor {name!r} from {self.path!r}: "
                                      f"{type(e).__name__}: {first_line(e)}") from None
            self._check_value(info, value)
            out[name] = value
        return out

    def close(self) -> None:
        try:
            if self._file is not None:
                self._file.close()
        finally:
            if self._raw is not None:
                self._raw.close()


# ------------------------------------------------------------------- dispatch
def _state_file_prefix(directory: str) -> str:
    """The latest checkpoint a directory's ``checkpoint`` state file names."""
    state_path = os.path.join(directory, "checkpoint")
    if not os.path.isfile(state_path):
        raise CheckpointError(
            f"Directory {directory!r} holds no checkpoint (no `checkpoint` state file naming "
            "an existing checkpoint).")
    try:
        state = tf.train.get_checkpoint_state(directory)
    except Exception as e:  # text_format.ParseError, UnicodeDecodeError, ...
        raise CheckpointError(f"Cannot read the checkpoint state file {state_path!r}: "
                              f"{type(e).__name__}: {first_line(e)}") from None
    if state is None or not state.model_checkpoint_path:
        raise CheckpointError(f"The checkpoint state file {state_path!r} names no checkpoint.")
    named = state.model_checkpoint_path
    for candidate in (named, os.path.join(directory, os.path.basename(named))):
        if _checkpoint_exists(candidate):
            return candidate  # a moved directory: the state file's absolute paths are stale
    raise CheckpointError(f"The checkpoint state file {state_path!r} names {named!r}, "
                          "which does not exist.")


def _is_table(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(-8, os.SEEK_END)
            return f.read(8) == _TABLE_MAGIC
    except OSError:
        return False


def _checkpoint_exists(prefix: str) -> bool:
    return os.path.isfile(prefix + ".index") or (os.path.isfile(prefix) and _is_table(prefix))


def resolve_checkpoint(path: str) -> tuple[str, str]:
    """``(kind, path)`` for a checkpoint path: kind ``"v2"`` (a prefix), ``"v1"``
    (a V1 table file), ``"keras"`` (``.weights.h5``/``.keras``). ``path`` may be
    a prefix, ``prefix.index``, a data shard, a V1 file, a directory with a
    ``checkpoint`` state file, or a Keras file."""
    if os.path.isdir(path):
        path = _state_file_prefix(path)
    if os.path.isfile(path + ".index"):
        return "v2", path
    base = os.path.basename(path)
    if path.endswith(".index") and os.path.isfile(path):
        return "v2", path[: -len(".index")]
    if ".data-" in base and os.path.isfile(path) and os.path.isfile(path[: path.rindex(".data-")] + ".index"):
        return "v2", path[: path.rindex(".data-")]
    if not os.path.exists(path):
        raise CheckpointError(
            f"No checkpoint at path={path!r}: neither the file nor {path + '.index'!r} exists.")
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as e:
        raise CheckpointError(f"Cannot read {path!r}: {e.strerror or e}") from None
    if magic == _HDF5_MAGIC or zipfile.is_zipfile(path):
        return "keras", path
    if _is_table(path):
        return "v1", path
    raise CheckpointError(
        f"path={path!r} is not a checkpoint: expected a TF checkpoint prefix (with a .index "
        "file), a directory holding a `checkpoint` file, a .weights.h5 or a .keras file.")


def open_checkpoint(path: str | os.PathLike) -> CheckpointReader:
    """Open ``path`` with the reader its format needs.

    ``path`` is a TF checkpoint prefix (``ckpt/model-5``), a directory with a
    ``checkpoint`` state file (its latest checkpoint), a V1 checkpoint file, a
    ``.weights.h5`` file or a ``.keras`` file. Raises
    :class:`~tfshare.errors.CheckpointError` (a ``ValueError``) naming the path
    when it is missing, not a checkpoint, or damaged.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"Argument `path` must be a str or os.PathLike. Received: path={path!r}")
    kind, resolved = resolve_checkpoint(os.fspath(path))
    if kind == "v2":
        return TFCheckpointReader(resolved)
    if kind == "v1":
        return TFV1CheckpointReader(resolved)
    return KerasH5Reader(resolved)


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


def dtype_name(dtype: Any) -> str:
    """numpy dtype name of a tf/keras/numpy dtype (``"float32"``)."""
    name = getattr(dtype, "name", None) or str(dtype)
    name = name.replace("tf.", "")
    return "string" if name in ("string", "object") else name
