"""The ``.index`` file of a TF V2 checkpoint, read and written in plain Python.

A V2 checkpoint (``tf.train.Saver``'s default since TF 1.0, ``tf.train.Checkpoint``,
``SaveV2``) is a prefix with an index ``prefix.index`` and data shards
``prefix.data-<i>-of-<n>``. The index is an immutable sorted string table
(LevelDB's table format) mapping

* the empty key to a ``BundleHeaderProto`` (number of shards, endianness,
  version), and
* each tensor name to a ``BundleEntryProto`` (dtype, shape, shard, offset and
  size of its bytes in that shard, their masked CRC32C; or, for a tensor saved
  in slices, the list of slices, each stored under its own binary key).

Table layout, as this module reads and writes it: data blocks of entries
``varint shared, varint unshared, varint value_len, key suffix, value``, each
block ending in ``uint32`` restart offsets and their count and followed by a
5-byte trailer (compression type 0, masked CRC32C of contents + type byte);
an index block whose entries map a key ``>=`` the last key of each data block
to that block's handle ``varint offset, varint size``; a metaindex block; and a
48-byte footer: the two handles, zero padding to 40 bytes, the magic number.

Reading it here, rather than through TensorFlow, lets tfshare list a checkpoint
from its header alone and validate every entry against the data files' sizes
before TensorFlow reads (and allocates) anything; writing it lets
:mod:`tfshare.checkpoint.writer` assemble a checkpoint from shards written one
at a time. Values are still read by TensorFlow, which checks their CRC32C.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from tensorflow.core.protobuf import tensor_bundle_pb2

__all__ = ["BundleIndex", "read_index", "write_index", "crc32c", "IndexError_"]

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
_TRAILER = 5
_MAX_RANK = 254


class IndexError_(ValueError):
    """The index file is not a valid V2 checkpoint index (the message says why)."""


# ------------------------------------------------------------------- CRC32C
def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``; plain Python, meant for index blocks."""
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ------------------------------------------------------------------ varints
def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise IndexError_("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _put_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# ------------------------------------------------------------------- tables
def _block(buf: bytes, offset: int, size: int) -> bytes:
    if offset + size + _TRAILER > len(buf) - _FOOTER:
        raise IndexError_(f"block at {offset}+{size} lies outside the file ({len(buf)} bytes)")
    contents = buf[offset:offset + size]
    kind = buf[offset + size]
    stored = struct.unpack_from("<I", buf, offset + size + 1)[0]
    if _mask(crc32c(buf[offset:offset + size + 1])) != stored:
        raise IndexError_(f"block at offset {offset}: checksum mismatch")
    if kind != 0:
        raise IndexError_(f"block at offset {offset}: unsupported compression type {kind}")
    return contents


def _entries(block: bytes):
    """Yield ``(key, value)`` of a table block."""
    n = len(block)
    if n < 4:
        raise IndexError_("block too short")
    num_restarts = struct.unpack_from("<I", block, n - 4)[0]
    if num_restarts == 0 or 4 * (num_restarts + 1) > n:
        raise IndexError_(f"bad restart count {num_restarts}")
    end = n - 4 * (num_restarts + 1)
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos, end)
        unshared, pos = _varint(block, pos, end)
        vlen, pos = _varint(block, pos, end)
        if shared > len(key) or pos + unshared + vlen > end:
            raise IndexError_("block entry overruns its block")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + vlen]
        pos += vlen


def _handle(value: bytes) -> tuple[int, int]:
    offset, pos = _varint(value, 0, len(value))
    size, _ = _varint(value, pos, len(value))
    return offset, size


def _table(buf: bytes):
    """Yield every ``(key, value)`` of a table, checking order."""
    if len(buf) < _FOOTER:
        raise IndexError_(f"file too short for a table footer ({len(buf)} bytes)")
    footer = buf[-_FOOTER:]
    if struct.unpack_from("<Q", footer, 40)[0] != _MAGIC:
        raise IndexError_("not a table (bad magic number)")
    _, pos = _varint(footer, 0, 40)
    _, pos = _varint(footer, pos, 40)
    index_offset, pos = _varint(footer, pos, 40)
    index_size, _ = _varint(footer, pos, 40)
    index = _block(buf, index_offset, index_size)
    last = None
    for _, handle in _entries(index):
        for key, value in _entries(_block(buf, *_handle(handle))):
            if last is not None and key <= last:
                raise IndexError_("keys out of order")
            last = key
            yield key, value


def _build_block(items: list[tuple[bytes, bytes]], restart_interval: int = 16) -> bytes:
    """A block; keys share their prefix with the previous key, except at a
    restart point every ``restart_interval`` entries."""
    out, restarts, prev = bytearray(), [], b""
    for i, (key, value) in enumerate(items):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(out))
        else:
            limit = min(len(prev), len(key))
            while shared < limit and prev[shared] == key[shared]:
                shared += 1
        out += (_put_varint(shared) + _put_varint(len(key) - shared) + _put_varint(len(value))
                + key[shared:] + value)
        prev = key
    if not restarts:
        restarts = [0]
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def _write_table(items: list[tuple[bytes, bytes]], block_bytes: int = 1 << 16) -> bytes:
    out = bytearray()

    def emit(contents: bytes) -> bytes:
        offset = len(out)
        out.extend(contents)
        trailer = b"\x00"
        out.extend(trailer + struct.pack("<I", _mask(crc32c(contents + trailer))))
        return _put_varint(offset) + _put_varint(len(contents))

    index_items, block, size = [], [], 0
    for key, value in items:
        block.append((key, value))
        size += len(key) + len(value) + 8
        if size >= block_bytes:
            index_items.append((block[-1][0], emit(_build_block(block))))
            block, size = [], 0
    if block:
        index_items.append((block[-1][0], emit(_build_block(block))))
    meta = emit(_build_block([]))
    index = emit(_build_block(index_items))
    footer = (meta + index).ljust(40, b"\x00") + struct.pack("<Q", _MAGIC)
    out.extend(footer)
    return bytes(out)


# ------------------------------------------------------------------ bundles
@dataclass(frozen=True)
class BundleIndex:
    """A parsed index: ``header`` and ``entries`` (name -> BundleEntryProto) in
    key order; ``slices`` holds the entries of sliced tensors' pieces (their
    keys are binary)."""

    header: tensor_bundle_pb2.BundleHeaderProto
    entries: dict
    slices: dict

    @property
    def num_shards(self) -> int:
        return int(self.header.num_shards)


def read_index(data: bytes) -> BundleIndex:
    """Parse an index file's bytes; raises :class:`IndexError_` on any defect."""
    header = None
    entries: dict[str, tensor_bundle_pb2.BundleEntryProto] = {}
    slices: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
    for key, value in _table(data):
        try:
            if key == b"":
                header = tensor_bundle_pb2.BundleHeaderProto.FromString(value)
                continue
            entry = tensor_bundle_pb2.BundleEntryProto.FromString(value)
        except Exception as e:  # protobuf DecodeError
            raise IndexError_(f"undecodable entry {key[:60]!r}: {e}") from None
        if key[:1] == b"\x00":
            slices[key] = entry
            continue
        try:
            name = key.decode("utf-8")
        except UnicodeDecodeError:
            raise IndexError_(f"tensor name {key[:60]!r} is not UTF-8") from None
        entries[name] = entry
    if header is None:
        raise IndexError_("no header entry")
    if header.num_shards < 1:
        raise IndexError_(f"header declares {header.num_shards} shards")
    if header.endianness != tensor_bundle_pb2.BundleHeaderProto.LITTLE:
        raise IndexError_("big-endian checkpoints are not supported")
    for entry in list(entries.values()) + list(slices.values()):
        dims = entry.shape.dim
        if entry.shape.unknown_rank or len(dims) > _MAX_RANK or any(d.size < 0 for d in dims):
            raise IndexError_(f"entry with invalid shape {[d.size for d in dims]}")
        if entry.shard_id >= header.num_shards:
            raise IndexError_(f"entry in shard {entry.shard_id} of {header.num_shards}")
    return BundleIndex(header, entries, slices)


def write_index(header: tensor_bundle_pb2.BundleHeaderProto,
                entries: dict) -> bytes:
    """The bytes of an index holding ``header`` and ``entries`` (name -> BundleEntryProto)."""
    items = [(b"", header.SerializeToString())]
    keyed = sorted((name.encode("utf-8"), entry) for name, entry in entries.items())
    items += [(k, e.SerializeToString(deterministic=True)) for k, e in keyed]
    return _write_table(items)
