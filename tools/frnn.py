#!/usr/bin/env python3
"""Read and write FastRnn `.frnn` weights files (format version 1) from Python.

Written from docs/format.md alone, as an independent second implementation of the spec: it shares
no code with src/FastRnn/Format, so a file both implementations agree on is evidence that the spec,
not one implementation's habits, defines the format.

Writer: float32 tensors of any rank 0..8 (including empty ones) and all six metadata types. Metadata
and tensors are written in the order they are added; the checksum is filled in last.

Reader: applies the spec's validation rules 1-14 in the spec's order, including the CRC-32C checksum,
and raises FrnnFormatError naming the field, tensor or key, the expected and the actual value. It
never reads outside the file and never allocates in proportion to a size not yet bounded by the file.

Requires NumPy (tensor data is handed out as read-only little-endian float32 arrays).

Usage as a library:
    w = FrnnWriter()
    w.add_metadata("rnn.hidden_size", 64)            # int -> int64, bool -> bool, str -> string, ...
    w.add_tensor("weight_ih_l0", weights)            # numpy float32 array, shape taken from it
    w.save("model.frnn")
    f = FrnnFile.open("model.frnn")                  # validates everything, checksum included
    f.metadata["rnn.hidden_size"], f.tensor("weight_ih_l0")

Usage as a tool:
    python3 tools/frnn.py dump FILE       validate FILE and print its header, metadata and tensors
    python3 tools/frnn.py selftest        check this implementation against the spec's worked example
"""

import os
import struct
import sys

import numpy as np

MAGIC = b"FRNN\r\n\x1a\n"
VERSION = 1
HEADER_SIZE = 96
ALIGNMENT = 64
MAX_SECTION = 2**31 - 1
MAX_DIMENSION = 2**31 - 1
MAX_ELEMENTS = 2**31 - 1
MAX_RANK = 8
MIN_METADATA_ENTRY = 7   # key "x" (4 + 1) + type (1) + smallest value, a bool (1)
MIN_TENSOR_ENTRY = 23    # name "x" (4 + 1) + dtype (1) + rank 0 (1) + offset (8) + byte_length (8)

# Metadata type codes.
INT64, FLOAT64, STRING, BOOL, INT64_ARRAY, STRING_ARRAY = 1, 2, 3, 4, 5, 6
TYPE_NAMES = {INT64: "int64", FLOAT64: "float64", STRING: "string", BOOL: "bool",
              INT64_ARRAY: "int64 array", STRING_ARRAY: "string array"}

# dtype codes: 1 is the only one version 1 supports; 2..4 have a fixed meaning reserved for later.
FLOAT32 = 1
RESERVED_DTYPES = {2: "float16", 3: "bfloat16", 4: "int8"}

# Header: magic, version, header_size, file_length, checksum, reserved0, metadata_offset,
# metadata_length, table_offset, table_length, data_offset, data_length, metadata_count,
# tensor_count, reserved1. Every field is naturally aligned, so "<" packs them with no gaps.
HEADER = struct.Struct("<8sIIQIIQQQQQQIIQ")
assert HEADER.size == HEADER_SIZE
CHECKSUM_OFFSET = 24


class FrnnFormatError(ValueError):
    """The bytes are not a valid version-1 .frnn file, or a lookup asks for something the file lacks."""


def align64(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


# ------------------------------------------------------------------------------------------------
# CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
# ------------------------------------------------------------------------------------------------

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC-32C of `data`; pass a previous result as `crc` to continue it over more bytes."""
    table = _CRC_TABLE
    c = crc ^ 0xFFFFFFFF
    for byte in memoryview(data).cast("B"):
        c = table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def file_checksum(data):
    """The checksum field's value: CRC-32C of the whole file with the checksum field read as zero."""
    view = memoryview(data)
    crc = crc32c(view[:CHECKSUM_OFFSET])
    crc = crc32c(b"\0\0\0\0", crc)
    return crc32c(view[CHECKSUM_OFFSET + 4:], crc)


# ------------------------------------------------------------------------------------------------
# Writer
# ------------------------------------------------------------------------------------------------

def _encode_string(text, what):
    if not isinstance(text, str):
        raise TypeError(f"{what}: expected str, actual {type(text).__name__}")
    data = text.encode("utf-8")  # strict: a lone surrogate cannot be encoded, so the result is valid UTF-8
    if len(data) > 0xFFFFFFFF:
        raise ValueError(f"{what}: {len(data)} bytes of UTF-8 do not fit a u32 length")
    return struct.pack("<I", len(data)) + data


def _check_int64(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what}: expected an integer, actual {type(value).__name__}")
    if not -2**63 <= int(value) < 2**63:
        raise ValueError(f"{what}: {value} does not fit int64")
    return int(value)


def _infer_type(value):
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        return INT64
    if isinstance(value, (float, np.floating)):
        return FLOAT64
    if isinstance(value, str):
        return STRING
    if isinstance(value, (list, tuple)) and value:
        if all(isinstance(v, str) for v in value):
            return STRING_ARRAY
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value):
            return INT64_ARRAY
    raise TypeError(f"cannot infer a metadata type for {value!r}; pass type_code explicitly "
                    f"(an empty list needs INT64_ARRAY or STRING_ARRAY)")


class FrnnWriter:
    """Collects metadata and float32 tensors in insertion order and lays them out as the spec says."""

    def __init__(self):
        self._metadata = []   # (key, type code, encoded value)
        self._tensors = []    # (name, shape tuple, little-endian float32 bytes)
        self._keys = set()
        self._names = set()

    def add_metadata(self, key, value, type_code=None):
        """Adds one metadata entry. The type is inferred (bool, int -> int64, float -> float64, str,
        list of int -> int64 array, list of str -> string array) unless `type_code` gives it."""
        encoded_key = _encode_string(key, "metadata key")
        if not key:
            raise ValueError("metadata key: expected a non-empty string")
        if key in self._keys:
            raise ValueError(f"metadata key '{key}': already added")
        code = _infer_type(value) if type_code is None else type_code
        what = f"metadata '{key}'"
        if code == INT64:
            payload = struct.pack("<q", _check_int64(value, what))
        elif code == FLOAT64:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{what}: expected a float, actual {type(value).__name__}")
            payload = struct.pack("<d", float(value))  # struct keeps the binary64 bits, -0.0 and NaN payloads
        elif code == STRING:
            payload = _encode_string(value, what)
        elif code == BOOL:
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{what}: expected a bool, actual {type(value).__name__}")
            payload = b"\x01" if value else b"\x00"
        elif code == INT64_ARRAY:
            items = [_check_int64(v, what) for v in value]
            payload = struct.pack(f"<I{len(items)}q", len(items), *items)
        elif code == STRING_ARRAY:
            items = list(value)
            payload = struct.pack("<I", len(items)) + b"".join(_encode_string(v, what) for v in items)
        else:
            raise ValueError(f"{what}: unknown metadata type code {code}")
        self._keys.add(key)
        self._metadata.append((encoded_key, code, payload))

    def add_tensor(self, name, data, shape=None):
        """Adds a float32 tensor. `data` is anything NumPy turns into a float32 array without rounding
        (a float32 array, or a torch tensor's .numpy()); `shape`, if given, must hold the same count."""
        encoded_name = _encode_string(name, "tensor name")
        if not name:
            raise ValueError("tensor name: expected a non-empty string")
        if name in self._names:
            raise ValueError(f"tensor '{name}': already added")
        array = np.asarray(data)
        if array.dtype != np.float32:
            raise TypeError(f"tensor '{name}': expected float32 data, actual {array.dtype} "
                            f"(convert explicitly; the writer never rounds)")
        shape = tuple(array.shape) if shape is None else tuple(int(d) for d in shape)
        if len(shape) > MAX_RANK:
            raise ValueError(f"tensor '{name}' rank: expected 0..{MAX_RANK}, actual {len(shape)}")
        count = 1
        for d in shape:
            if not 0 <= d <= MAX_DIMENSION:
                raise ValueError(f"tensor '{name}' dimension: expected 0..{MAX_DIMENSION}, actual {d}")
            count *= d
        if count > MAX_ELEMENTS:
            raise ValueError(f"tensor '{name}' element count: expected at most {MAX_ELEMENTS}, actual {count}")
        if array.size != count:
            raise ValueError(f"tensor '{name}': shape {list(shape)} holds {count} elements, data has {array.size}")
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        self._names.add(name)
        self._tensors.append((encoded_name, shape, raw))

    def to_bytes(self):
        metadata = b"".join(key + bytes([code]) + payload for key, code, payload in self._metadata)

        # Tensors in insertion order: the first at 0, each next at the previous end rounded up to 64.
        table = []
        placed = []
        end = 0
        for name, shape, raw in self._tensors:
            offset = align64(end)
            table.append(name + struct.pack(f"<BB{len(shape)}Q", FLOAT32, len(shape), *shape)
                         + struct.pack("<QQ", offset, len(raw)))
            placed.append((offset, raw))
            end = offset + len(raw)
        table = b"".join(table)
        data_length = align64(end)

        if len(metadata) > MAX_SECTION or len(table) > MAX_SECTION:
            raise ValueError(f"metadata ({len(metadata)} bytes) or tensor table ({len(table)} bytes) "
                             f"exceeds {MAX_SECTION} bytes")
        metadata_offset = HEADER_SIZE
        table_offset = metadata_offset + len(metadata)
        data_offset = align64(table_offset + len(table))
        file_length = data_offset + data_length

        out = bytearray(file_length)  # zero-filled, so every padding byte is already zero
        HEADER.pack_into(out, 0, MAGIC, VERSION, HEADER_SIZE, file_length, 0, 0,
                         metadata_offset, len(metadata), table_offset, len(table),
                         data_offset, data_length, len(self._metadata), len(self._tensors), 0)
        out[metadata_offset:table_offset] = metadata
        out[table_offset:table_offset + len(table)] = table
        for offset, raw in placed:
            out[data_offset + offset:data_offset + offset + len(raw)] = raw
        struct.pack_into("<I", out, CHECKSUM_OFFSET, file_checksum(out))  # last: it covers everything else
        return bytes(out)

    def save(self, path):
        """Writes the file to a temporary name next to `path`, then renames it over `path`."""
        data = self.to_bytes()
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return len(data)


# ------------------------------------------------------------------------------------------------
# Reader
# ------------------------------------------------------------------------------------------------

class _Cursor:
    """Reads packed little-endian fields from one section; every read is checked against its end."""

    def __init__(self, data, start, end, section):
        self.data, self.pos, self.end, self.section = data, start, end, section

    @property
    def left(self):
        return self.end - self.pos

    def take(self, n, what):
        if n > self.left:
            raise FrnnFormatError(f"{self.section}: {what} needs {n} bytes at offset {self.pos}, "
                                  f"{self.left} left in the section")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt, what):
        s = struct.Struct("<" + fmt)
        return s.unpack(self.take(s.size, what))

    def string(self, what):
        (n,) = self.unpack("I", f"{what} length")
        raw = self.take(n, what)
        try:
            # Python's strict decoder rejects overlong forms, surrogates and values above U+10FFFF.
            return bytes(raw).decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise FrnnFormatError(f"{self.section}: {what} at offset {self.pos - n} is not valid UTF-8 ({e.reason})")


class FrnnFile:
    """A validated .frnn file: `header` (dict of header fields), `metadata` (key -> value, in file
    order), `metadata_types` (key -> type code) and `tensors` (name -> (shape, offset, byte_length))."""

    def __init__(self, data):
        self._data = memoryview(data).cast("B")
        self.header = _validate_header(self._data)
        self.metadata, self.metadata_types = _read_metadata(self._data, self.header)
        self.tensors = _read_tensors(self._data, self.header)
        # 14. Checksum, last: the only rule that reads the whole file, so a bad structure is refused without it.
        actual = file_checksum(self._data)
        if self.header["checksum"] != actual:
            raise FrnnFormatError(f"checksum mismatch: file says 0x{self.header['checksum']:08X}, contents hash to 0x{actual:08X}")

    @classmethod
    def open(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    @classmethod
    def parse(cls, data):
        return cls(data)

    def get(self, key, type_code):
        if key not in self.metadata:
            raise FrnnFormatError(f"metadata '{key}': not in the file")
        actual = self.metadata_types[key]
        if actual != type_code:
            raise FrnnFormatError(f"metadata '{key}' type: expected {TYPE_NAMES[type_code]}, actual {TYPE_NAMES[actual]}")
        return self.metadata[key]

    def tensor(self, name, expected_shape=None):
        """A read-only float32 view of the tensor's bytes, with its shape."""
        if name not in self.tensors:
            raise FrnnFormatError(f"tensor '{name}': not in the file")
        shape, offset, length = self.tensors[name]
        if expected_shape is not None and tuple(expected_shape) != shape:
            raise FrnnFormatError(f"tensor '{name}' shape: expected {list(expected_shape)}, actual {list(shape)}")
        start = self.header["data_offset"] + offset
        return np.frombuffer(self._data, dtype="<f4", count=length // 4, offset=start).reshape(shape)


def _validate_header(data):
    n = len(data)
    # 1. Magic; a file shorter than the magic must still be a prefix of it.
    if bytes(data[:8]) != MAGIC[:min(n, 8)]:
        raise FrnnFormatError(f"magic: expected {MAGIC.hex(' ').upper()}, actual {bytes(data[:8]).hex(' ').upper()}")
    # 2. Header present.
    if n < HEADER_SIZE:
        raise FrnnFormatError(f"file length: expected at least {HEADER_SIZE} bytes for the header, actual {n}")
    fields = HEADER.unpack_from(data, 0)
    names = ["magic", "version", "header_size", "file_length", "checksum", "reserved0",
             "metadata_offset", "metadata_length", "table_offset", "table_length", "data_offset",
             "data_length", "metadata_count", "tensor_count", "reserved1"]
    h = dict(zip(names, fields))
    # 3. Version, so a newer file reads as newer rather than corrupt.
    if h["version"] != VERSION:
        raise FrnnFormatError(f"format version: expected {VERSION}, actual {h['version']}")
    # 4. Header size.
    if h["header_size"] != HEADER_SIZE:
        raise FrnnFormatError(f"header_size: expected {HEADER_SIZE}, actual {h['header_size']}")
    # 5. File length: catches truncation and appended bytes.
    if h["file_length"] != n:
        raise FrnnFormatError(f"file_length: the header says {h['file_length']}, the file has {n} bytes")
    # 6. Reserved fields.
    for field in ("reserved0", "reserved1"):
        if h[field] != 0:
            raise FrnnFormatError(f"{field}: expected 0, actual {h[field]}")
    # 7. Section bounds, written as subtractions (Python cannot overflow, but the rule reads the same).
    for section in ("metadata", "table", "data"):
        offset, length = h[section + "_offset"], h[section + "_length"]
        if offset > n:
            raise FrnnFormatError(f"{section}_offset: expected at most {n} (file_length), actual {offset}")
        if length > n - offset:
            raise FrnnFormatError(f"{section}_length: expected at most {n - offset} (file_length - {section}_offset), actual {length}")
    # 8. Section layout.
    expected = [
        ("metadata_offset", HEADER_SIZE),
        ("table_offset", h["metadata_offset"] + h["metadata_length"]),
        ("data_offset", align64(h["table_offset"] + h["table_length"])),
        ("data_length", n - h["data_offset"]),
    ]
    for field, value in expected:
        if h[field] != value:
            raise FrnnFormatError(f"{field}: expected {value}, actual {h[field]}")
    if h["data_length"] % ALIGNMENT:
        raise FrnnFormatError(f"data_length: expected a multiple of {ALIGNMENT}, actual {h['data_length']}")
    # 9. Section sizes.
    for field in ("metadata_length", "table_length"):
        if h[field] > MAX_SECTION:
            raise FrnnFormatError(f"{field}: expected at most {MAX_SECTION}, actual {h[field]}")
    # 10. Counts fit their sections: this bounds everything allocated per entry.
    if h["metadata_count"] * MIN_METADATA_ENTRY > h["metadata_length"]:
        raise FrnnFormatError(f"metadata_count: expected at most {h['metadata_length'] // MIN_METADATA_ENTRY} "
                              f"for {h['metadata_length']} bytes of metadata, actual {h['metadata_count']}")
    if h["tensor_count"] * MIN_TENSOR_ENTRY > h["table_length"]:
        raise FrnnFormatError(f"tensor_count: expected at most {h['table_length'] // MIN_TENSOR_ENTRY} "
                              f"for a {h['table_length']}-byte table, actual {h['tensor_count']}")
    return h


def _read_metadata(data, h):
    # 11. Metadata entries.
    start = h["metadata_offset"]
    cur = _Cursor(data, start, start + h["metadata_length"], "metadata")
    values, types = {}, {}
    for i in range(h["metadata_count"]):
        key = cur.string(f"key of entry {i}")
        if not key:
            raise FrnnFormatError(f"metadata entry {i}: key is empty")
        if key in values:
            raise FrnnFormatError(f"metadata '{key}': duplicate key")
        (code,) = cur.unpack("B", f"type of '{key}'")
        what = f"value of '{key}'"
        if code == INT64:
            (value,) = cur.unpack("q", what)
        elif code == FLOAT64:
            (value,) = cur.unpack("d", what)
        elif code == STRING:
            value = cur.string(what)
        elif code == BOOL:
            (b,) = cur.unpack("B", what)
            if b > 1:
                raise FrnnFormatError(f"metadata '{key}' bool: expected 0 or 1, actual {b}")
            value = b == 1
        elif code == INT64_ARRAY:
            (count,) = cur.unpack("I", f"count of '{key}'")
            if count * 8 > cur.left:
                raise FrnnFormatError(f"metadata '{key}' int64 array count {count}: needs {count * 8} bytes, {cur.left} left")
            value = list(cur.unpack(f"{count}q", what))
        elif code == STRING_ARRAY:
            (count,) = cur.unpack("I", f"count of '{key}'")
            if count * 4 > cur.left:
                raise FrnnFormatError(f"metadata '{key}' string array count {count}: needs at least {count * 4} bytes, {cur.left} left")
            value = [cur.string(f"element {j} of '{key}'") for j in range(count)]
        else:
            raise FrnnFormatError(f"metadata '{key}' type: expected 1..6, actual {code}")
        values[key], types[key] = value, code
    if cur.left:
        raise FrnnFormatError(f"metadata: expected no bytes after entry {h['metadata_count']}, actual {cur.left}")
    return values, types


def _read_tensors(data, h):
    # 12. Tensor entries.
    start = h["table_offset"]
    cur = _Cursor(data, start, start + h["table_length"], "tensor table")
    data_length = h["data_length"]
    tensors = {}
    for i in range(h["tensor_count"]):
        name = cur.string(f"name of entry {i}")
        if not name:
            raise FrnnFormatError(f"tensor entry {i}: name is empty")
        if name in tensors:
            raise FrnnFormatError(f"tensor '{name}': duplicate name")
        dtype, rank = cur.unpack("BB", f"dtype and rank of '{name}'")
        if dtype in RESERVED_DTYPES:
            raise FrnnFormatError(f"dtype {dtype} ({RESERVED_DTYPES[dtype]}) of tensor '{name}' is reserved for a later version")
        if dtype != FLOAT32:
            raise FrnnFormatError(f"dtype of tensor '{name}': expected 1 (float32), actual {dtype} (unknown)")
        if rank > MAX_RANK:
            raise FrnnFormatError(f"rank of tensor '{name}': expected 0..{MAX_RANK}, actual {rank}")
        shape = cur.unpack(f"{rank}Q", f"dims of '{name}'")
        count = 1
        for d in shape:
            if d > MAX_DIMENSION:
                raise FrnnFormatError(f"dimension of tensor '{name}': expected at most {MAX_DIMENSION}, actual {d}")
            count *= d
        if count > MAX_ELEMENTS:
            raise FrnnFormatError(f"element count of tensor '{name}': expected at most {MAX_ELEMENTS}, actual {count}")
        offset, byte_length = cur.unpack("QQ", f"offset and byte_length of '{name}'")
        if byte_length != count * 4:
            raise FrnnFormatError(f"byte_length of tensor '{name}': expected {count * 4}, actual {byte_length}")
        if offset % ALIGNMENT:
            raise FrnnFormatError(f"offset of tensor '{name}': expected a multiple of {ALIGNMENT}, actual {offset}")
        if offset > data_length or byte_length > data_length - offset:
            raise FrnnFormatError(f"tensor '{name}': bytes [{offset}, {offset + byte_length}) lie outside the "
                                  f"{data_length}-byte data section")
        tensors[name] = (tuple(shape), offset, byte_length)
    if cur.left:
        raise FrnnFormatError(f"tensor table: expected no bytes after entry {h['tensor_count']}, actual {cur.left}")
    # 13. No overlap between non-empty tensors, and no data after the last one (beyond its padding to 64).
    previous_end, previous = 0, None
    for name, (_, offset, length) in sorted(tensors.items(), key=lambda kv: kv[1][1]):
        if length == 0:
            continue
        if offset < previous_end:
            raise FrnnFormatError(f"tensor '{name}' at offset {offset} overlaps '{previous}', which ends at {previous_end}")
        previous_end, previous = offset + length, name
    if data_length != align64(previous_end):
        raise FrnnFormatError(f"data_length: expected {align64(previous_end)} (the end of the last tensor rounded up to 64), "
                              f"actual {data_length}; the data section holds bytes no tensor describes")
    return tensors


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------

# The worked example of docs/format.md: metadata arch = "gru", hidden = 2; tensor b = [1.0, -2.0].
SPEC_EXAMPLE_HEX = "".join([
    "46 52 4E 4E 0D 0A 1A 0A 01 00 00 00 60 00 00 00",
    "00 01 00 00 00 00 00 00 AE 87 20 78 00 00 00 00",
    "60 00 00 00 00 00 00 00 23 00 00 00 00 00 00 00",
    "83 00 00 00 00 00 00 00 1F 00 00 00 00 00 00 00",
    "C0 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00",
    "02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00",
    "04 00 00 00 61 72 63 68 03 03 00 00 00 67 72 75",
    "06 00 00 00 68 69 64 64 65 6E 01 02 00 00 00 00",
    "00 00 00 01 00 00 00 62 01 01 02 00 00 00 00 00",
    "00 00 00 00 00 00 00 00 00 00 08 00 00 00 00 00",
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    "00 00 80 3F 00 00 00 C0 00 00 00 00 00 00 00 00",
] + ["00 " * 16] * 3)


def selftest():
    assert crc32c(b"123456789") == 0xE3069283, "CRC-32C check value"
    w = FrnnWriter()
    w.add_metadata("arch", "gru")
    w.add_metadata("hidden", 2)
    w.add_tensor("b", np.array([1.0, -2.0], dtype=np.float32))
    data = w.to_bytes()
    expected = bytes.fromhex(SPEC_EXAMPLE_HEX)
    assert data == expected, "writer output differs from the spec's example"
    f = FrnnFile.parse(expected)
    assert f.metadata == {"arch": "gru", "hidden": 2}
    assert f.tensor("b", [2]).tolist() == [1.0, -2.0]

    # Every metadata type, a scalar, an empty tensor and odd sizes round-trip.
    w = FrnnWriter()
    w.add_metadata("i", -2**63)
    w.add_metadata("f", -0.0)
    w.add_metadata("s", "")
    w.add_metadata("u", "h\u00e9llo \U0001F600")
    w.add_metadata("t", True)
    w.add_metadata("ia", [], type_code=INT64_ARRAY)
    w.add_metadata("ia2", [1, -1, 2**63 - 1])
    w.add_metadata("sa", ["", "a", "\u00df"])
    w.add_tensor("scalar", np.float32(3.5))
    w.add_tensor("empty", np.zeros((0, 4), dtype=np.float32))
    w.add_tensor("odd", np.arange(17 * 3, dtype=np.float32).reshape(17, 3))
    data = w.to_bytes()
    f = FrnnFile.parse(data)
    assert f.metadata_types == {"i": 1, "f": 2, "s": 3, "u": 3, "t": 4, "ia": 5, "ia2": 5, "sa": 6}
    assert f.metadata["ia2"] == [1, -1, 2**63 - 1] and f.metadata["sa"] == ["", "a", "\u00df"]
    assert struct.pack("<d", f.metadata["f"]) == struct.pack("<d", -0.0)
    assert f.tensor("scalar").shape == () and float(f.tensor("scalar")) == 3.5
    assert f.tensor("empty").shape == (0, 4)
    assert f.tensor("odd")[16, 2] == 50.0
    assert all(off % 64 == 0 for _, off, _ in f.tensors.values()) and len(data) % 64 == 0

    # Damage is reported as damage.
    broken = bytearray(data)
    broken[-70] ^= 1
    try:
        FrnnFile.parse(bytes(broken))
        raise AssertionError("a flipped bit was not detected")
    except FrnnFormatError as e:
        assert "checksum mismatch" in str(e)
    print("selftest passed")


def dump(path):
    f = FrnnFile.open(path)
    h = f.header
    print(f"{path}: {h['file_length']} bytes, version {h['version']}, checksum 0x{h['checksum']:08X} (verified)")
    print(f"  metadata {h['metadata_count']} entries ({h['metadata_length']} bytes), "
          f"tensors {h['tensor_count']} ({h['table_length']}-byte table), data {h['data_length']} bytes at {h['data_offset']}")
    for key, value in f.metadata.items():
        print(f"  {key} ({TYPE_NAMES[f.metadata_types[key]]}) = {value!r}")
    for name, (shape, offset, length) in f.tensors.items():
        print(f"  {name} float32 {list(shape)} at +{offset}, {length} bytes")


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        selftest()
    elif len(argv) == 3 and argv[1] == "dump":
        dump(argv[2])
    else:
        print(__doc__.split("Usage as a tool:")[1], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
