"""What an uploaded GLB (binary glTF 2.0) is, read from its bytes, before anything is stored.

`inspect_glb(data)` checks the container (header, chunks), the JSON and the ranges every
buffer view and accessor claims, then the mobile budget, and returns a `GlbInfo`; or it
raises `GlbError(code, message)` naming the first problem found. Besides the indices (to
check they point at vertices that exist), it reads no vertex data: all it needs is in the
JSON, and a file that lies about its ranges is caught by comparing those ranges with the
bytes actually there.

It is not the Khronos validator (the test suite runs that over every committed model): it
checks what matters to accept an upload safely and to show it on a phone.
Spec: https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html#binary-gltf-layout
"""
from __future__ import annotations

import base64
import binascii
import json
import array
import math
import struct
import sys
from dataclasses import dataclass

from heritage3d.i18n import _

MAX_BYTES = 3 * 1024 * 1024
MAX_TRIANGLES = 150_000
# The JSON of a phone-sized model is a few kB; a megabyte of it is an attack or a mistake,
# and json.loads on it would be the costliest thing we do.
MAX_JSON_BYTES = 1024 * 1024

MAGIC = 0x46546C67  # b"glTF"
CHUNK_JSON = 0x4E4F534A  # b"JSON"
CHUNK_BIN = 0x004E4942  # b"BIN\0"
HEADER = struct.Struct("<III")  # magic, version, total length
CHUNK_HEADER = struct.Struct("<II")  # chunk length, chunk type

COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


class GlbError(Exception):
    """The file is refused. `code` is stable (for tests and logs); `message` a translation
    string for the person who uploaded it."""

    def __init__(self, code: str, message):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message.interpolate()}"


@dataclass(frozen=True)
class GlbInfo:
    size_bytes: int
    triangle_count: int  # per drawn instance: see _instances()
    vertex_count: int  # POSITION elements, counted the same way
    mesh_count: int
    node_count: int
    has_textures: bool
    generator: str | None
    # Axis-aligned box of the model in scene units, node transforms applied; None when no
    # primitive has a POSITION with min/max.
    bounds_min: tuple[float, float, float] | None
    bounds_max: tuple[float, float, float] | None


def inspect_glb(data: bytes, *, max_bytes: int = MAX_BYTES, max_triangles: int = MAX_TRIANGLES,
                max_json_bytes: int = MAX_JSON_BYTES) -> GlbInfo:
    """Check `data` as a self-contained GLB within the budget and describe it.

    Raises GlbError with one of the codes: too_large, too_short, bad_magic, bad_version,
    length_mismatch, bad_chunk, json_not_first, json_too_large, bad_json, not_gltf2,
    invalid_gltf, external_uri, bad_bin, buffer_view_out_of_range, accessor_out_of_range,
    index_out_of_range, too_many_triangles.
    """
    size = len(data)
    # First, before reading anything else: an oversized upload costs nothing more.
    if size > max_bytes:
        raise GlbError("too_large", _(
            "The file is ${size} bytes; models must be at most ${limit} bytes to load on a phone.",
            mapping={"size": size, "limit": max_bytes}))
    json_bytes, bin_chunk = _chunks(data)
    gltf = _parse_json(json_bytes, max_json_bytes)
    buffers = _check_buffers(gltf, bin_chunk)
    _check_images(gltf)
    _check_buffer_views(gltf, buffers)
    accessor_counts = _check_accessors(gltf)
    _check_indices(gltf, buffers, accessor_counts)
    info = _describe(gltf, accessor_counts, size)
    if info.triangle_count > max_triangles:
        raise GlbError("too_many_triangles", _(
            "The model has ${count} triangles; models must have at most ${limit} triangles "
            "to be shown on a phone.",
            mapping={"count": info.triangle_count, "limit": max_triangles}))
    return info


# -- the container ---------------------------------------------------------------------

def _chunks(data: bytes) -> tuple[bytes, bytes | None]:
    """The JSON chunk's bytes and the BIN chunk's bytes (None if there is none)."""
    if len(data) < HEADER.size + CHUNK_HEADER.size:
        raise GlbError("too_short", _(
            "The file is only ${size} bytes: too short to be a GLB model.", mapping={"size": len(data)}))
    magic, version, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise GlbError("bad_magic", _(
            "This is not a GLB file: it does not start with “glTF”. Export the model as binary glTF (.glb)."))
    if version != 2:
        raise GlbError("bad_version", _(
            "The file is GLB version ${version}; only glTF 2.0 is supported.", mapping={"version": version}))
    if length != len(data):
        # Either truncated in transit or a header that lies: both are refused.
        raise GlbError("length_mismatch", _(
            "The file header declares ${declared} bytes but the file has ${actual}: "
            "it is truncated or damaged.", mapping={"declared": length, "actual": len(data)}))

    chunks = []
    offset = HEADER.size
    while offset < len(data):
        if offset + CHUNK_HEADER.size > len(data):
            raise _bad_chunk(len(chunks))
        chunk_length, chunk_type = CHUNK_HEADER.unpack_from(data, offset)
        start = offset + CHUNK_HEADER.size
        # Chunks start and end on 4-byte boundaries (the spec), so every chunk length is a
        # multiple of 4; a length reaching past the file is a lie.
        if chunk_length % 4 or start + chunk_length > len(data):
            raise _bad_chunk(len(chunks))
        chunks.append((chunk_type, data[start:start + chunk_length]))
        offset = start + chunk_length

    if chunks[0][0] != CHUNK_JSON:
        raise GlbError("json_not_first", _(
            "The file's first chunk is not its JSON description: the GLB is damaged."))
    # At most one BIN chunk, right after the JSON; other chunk types are for extensions
    # and, as the spec says, ignored. A second JSON chunk is not allowed.
    for index, (chunk_type, _unused) in enumerate(chunks[1:], start=1):
        if chunk_type == CHUNK_JSON or (chunk_type == CHUNK_BIN and index != 1):
            raise _bad_chunk(index)
    bin_chunk = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == CHUNK_BIN else None
    return chunks[0][1], bin_chunk


def _bad_chunk(index: int) -> GlbError:
    return GlbError("bad_chunk", _(
        "Chunk ${index} of the file is malformed (misaligned, cut short or out of place): "
        "the GLB is damaged.", mapping={"index": index}))


def _parse_json(raw: bytes, max_json_bytes: int) -> dict:
    if len(raw) > max_json_bytes:
        raise GlbError("json_too_large", _(
            "The model's JSON description is ${size} bytes; at most ${limit} bytes are accepted.",
            mapping={"size": len(raw), "limit": max_json_bytes}))
    try:
        # NaN and Infinity are not JSON; Python would accept them.
        gltf = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise GlbError("bad_json", _("The model's JSON description cannot be read: it is not valid JSON.")) from None
    asset = gltf.get("asset") if isinstance(gltf, dict) else None
    if not isinstance(asset, dict) or asset.get("version") != "2.0":
        raise GlbError("not_gltf2", _(
            "The model does not declare glTF version 2.0 (asset.version); only glTF 2.0 is supported."))
    return gltf


def _refuse_constant(name: str):
    raise ValueError(name)


# -- buffers, images, buffer views, accessors ---------------------------------------------

def _check_buffers(gltf: dict, bin_chunk: bytes | None) -> list[bytes]:
    """Each buffer's bytes, once shown to be as long as it declares."""
    buffers = []
    for index, buffer in enumerate(_list(gltf, "buffers")):
        length = _int(buffer, "byteLength", f"buffers[{index}]", minimum=1)
        uri = buffer.get("uri")
        if uri is None:
            # Only the first buffer may refer to the BIN chunk, which may carry up to 3
            # bytes of padding after the data.
            data = bin_chunk
            if index != 0 or data is None or not length <= len(data) <= length + 3:
                raise GlbError("bad_bin", _(
                    "The model's binary data does not match what its description declares "
                    "(${length} bytes): the GLB is damaged.", mapping={"length": length}))
        else:
            data = _data_uri(uri, f"buffers[{index}]")
            if len(data) < length:
                raise GlbError("bad_bin", _(
                    "The model's embedded buffer ${index} is shorter than it declares: the GLB is damaged.",
                    mapping={"index": index}))
        buffers.append(data[:length])
    return buffers


def _check_images(gltf: dict) -> None:
    for index, image in enumerate(_list(gltf, "images")):
        if "uri" in image:
            _data_uri(image["uri"], f"images[{index}]")
        else:
            _ref(image, "bufferView", len(_list(gltf, "bufferViews")), f"images[{index}]")


def _data_uri(uri, where: str) -> bytes:
    """The bytes of a base64 data: URI. Anything else would make the server or the viewer
    fetch another file: an upload must be one self-contained file."""
    if not isinstance(uri, str) or not uri.startswith("data:"):
        raise GlbError("external_uri", _(
            "The model refers to another file (${uri}); upload a single self-contained .glb "
            "with its textures and buffers embedded.", mapping={"uri": str(uri)[:80]}))
    header, comma, payload = uri.partition(",")
    if not comma or not header.endswith(";base64"):
        _invalid(where, "a data: URI that is not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        _invalid(where, "a data: URI that is not base64")


def _check_buffer_views(gltf: dict, buffers: list[bytes]) -> None:
    for index, view in enumerate(_list(gltf, "bufferViews")):
        where = f"bufferViews[{index}]"
        buffer = _ref(view, "buffer", len(buffers), where)
        offset = _int(view, "byteOffset", where, default=0)
        length = _int(view, "byteLength", where, minimum=1)
        _int(view, "byteStride", where, default=4, minimum=4)
        if offset + length > len(buffers[buffer]):
            raise GlbError("buffer_view_out_of_range", _(
                "Buffer view ${index} reaches past the end of its buffer (${end} > ${length} bytes): "
                "the GLB is damaged.", mapping={"index": index, "end": offset + length,
                                                "length": len(buffers[buffer])}))


def _check_accessors(gltf: dict) -> list[int]:
    """Each accessor's element count, once its elements are shown to fit in its buffer view."""
    views = _list(gltf, "bufferViews")
    counts = []
    for index, accessor in enumerate(_list(gltf, "accessors")):
        where = f"accessors[{index}]"
        count = _int(accessor, "count", where, minimum=1)
        component = accessor.get("componentType")
        kind = accessor.get("type")
        if not (isinstance(component, int) and component in COMPONENT_BYTES
                and isinstance(kind, str) and kind in TYPE_COMPONENTS):
            _invalid(where, "an unknown componentType or type")
        counts.append(count)
        if "bufferView" not in accessor:
            continue  # all zeros (or sparse): no bytes to check
        view = views[_ref(accessor, "bufferView", len(views), where)]
        element = COMPONENT_BYTES[component] * TYPE_COMPONENTS[kind]
        stride = view.get("byteStride", element)
        end = _int(accessor, "byteOffset", where, default=0) + stride * (count - 1) + element
        if end > view["byteLength"]:
            raise GlbError("accessor_out_of_range", _(
                "Accessor ${index} claims ${count} elements, more than its buffer view holds: "
                "the GLB is damaged.", mapping={"index": index, "count": count}))
    return counts


def _check_indices(gltf: dict, buffers: list[bytes], counts: list[int]) -> None:
    """Every index points at a vertex of its primitive. The only data read: a viewer would
    otherwise read past the vertices (garbage on screen, or a lost WebGL context)."""
    accessors = _list(gltf, "accessors")
    largest = {}  # accessor -> largest index, so that a shared index accessor is read once
    for m, mesh in enumerate(_list(gltf, "meshes")):
        for p, primitive in enumerate(_list(mesh, "primitives")):
            where = f"meshes[{m}].primitives[{p}]"
            attributes = primitive.get("attributes")
            if "indices" not in primitive or not isinstance(attributes, dict) or "POSITION" not in attributes:
                continue
            indices = _ref(primitive, "indices", len(accessors), where)
            if indices not in largest:
                largest[indices] = _largest_index(gltf, indices, buffers, counts[indices])
            vertices = counts[_ref(attributes, "POSITION", len(accessors), where)]
            if largest[indices] >= vertices:
                raise GlbError("index_out_of_range", _(
                    "Mesh ${mesh} refers to vertex ${index} but has only ${count} vertices: "
                    "the GLB is damaged.", mapping={"mesh": m, "index": largest[indices], "count": vertices}))


INDEX_TYPECODES = {5121: "B", 5123: "H", 5125: "I"}  # "I" is 4 bytes wherever CPython runs


def _largest_index(gltf: dict, index: int, buffers: list[bytes], count: int) -> int:
    accessor = gltf["accessors"][index]
    where = f"accessors[{index}]"
    typecode = INDEX_TYPECODES.get(accessor["componentType"])
    if typecode is None or accessor["type"] != "SCALAR":
        _invalid(where, "indices that are not unsigned byte, short or int scalars")
    if "bufferView" not in accessor:
        return 0  # all zeros
    view = gltf["bufferViews"][accessor["bufferView"]]
    if "byteStride" in view:
        _invalid(where, "indices in a strided buffer view")
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    size = COMPONENT_BYTES[accessor["componentType"]]
    if start % size:
        _invalid(where, "misaligned indices")
    values = array.array(typecode, buffers[view["buffer"]][start:start + size * count])
    if sys.byteorder == "big":
        values.byteswap()  # glTF is little-endian
    return max(values)


# -- what the model is ------------------------------------------------------------------------

def _describe(gltf: dict, accessor_counts: list[int], size: int) -> GlbInfo:
    meshes = _list(gltf, "meshes")
    accessors = _list(gltf, "accessors")
    per_mesh = [_mesh_counts(mesh, i, accessors, accessor_counts) for i, mesh in enumerate(meshes)]
    triangles = vertices = 0
    low, high = [math.inf] * 3, [-math.inf] * 3
    for mesh_index, matrix in _instances(gltf, len(meshes)):
        triangles += per_mesh[mesh_index][0]
        vertices += per_mesh[mesh_index][1]
        box = per_mesh[mesh_index][2]
        if box is None:
            continue
        for corner in _corners(*box):
            point = _apply(matrix, corner)
            low = [min(a, b) for a, b in zip(low, point)]
            high = [max(a, b) for a, b in zip(high, point)]
    has_box = low[0] != math.inf
    generator = gltf["asset"].get("generator")
    return GlbInfo(
        size_bytes=size, triangle_count=triangles, vertex_count=vertices, mesh_count=len(meshes),
        node_count=len(_list(gltf, "nodes")),
        has_textures=bool(_list(gltf, "textures") or _list(gltf, "images")),
        generator=generator if isinstance(generator, str) else None,
        bounds_min=tuple(low) if has_box else None, bounds_max=tuple(high) if has_box else None)


def _mesh_counts(mesh: dict, index: int, accessors: list, counts: list[int]):
    """(triangles, vertices, (min, max) of its primitives' POSITIONs or None) of one mesh.

    One box per mesh, so that each instance costs eight corners however many primitives
    its mesh has."""
    triangles = vertices = 0
    boxes = []
    for p, primitive in enumerate(_list(mesh, "primitives")):
        where = f"meshes[{index}].primitives[{p}]"
        attributes = primitive.get("attributes")
        if not isinstance(attributes, dict):
            _invalid(where, "no attributes")
        positions = None
        if "POSITION" in attributes:
            positions = _ref(attributes, "POSITION", len(accessors), where)
            vertices += counts[positions]
            box = (accessors[positions].get("min"), accessors[positions].get("max"))
            if all(isinstance(v, list) and len(v) == 3 and all(_is_number(x) for x in v) for v in box):
                boxes.append(box)
        if "indices" in primitive:
            drawn = counts[_ref(primitive, "indices", len(accessors), where)]
        else:
            drawn = counts[positions] if positions is not None else 0
        mode = _int(primitive, "mode", where, default=TRIANGLES)
        if mode == TRIANGLES:
            triangles += drawn // 3
        elif mode in (TRIANGLE_STRIP, TRIANGLE_FAN):
            triangles += max(drawn - 2, 0)
        elif mode > TRIANGLE_FAN:
            _invalid(where, "an unknown mode")
        # Points and lines (modes 0-3) draw no triangles.
    if not boxes:
        return triangles, vertices, None
    low = tuple(min(box[0][axis] for box in boxes) for axis in range(3))
    high = tuple(max(box[1][axis] for box in boxes) for axis in range(3))
    return triangles, vertices, (low, high)


def _instances(gltf: dict, mesh_count: int):
    """(mesh index, world matrix) for each time a mesh is drawn.

    A mesh used by two nodes is drawn, and counted, twice: the budget is what the phone
    renders. Every node counts, whether or not a scene lists it, and a mesh no node uses
    counts once at the origin: a viewer may show any scene, and the budget must not be
    dodged by leaving things out of the default one. (EXT_mesh_gpu_instancing is not read.)
    """
    nodes = _list(gltf, "nodes")
    parent = {}
    for index, node in enumerate(nodes):
        for child in _list(node, "children", of=int):
            if not 0 <= child < len(nodes) or child in parent or child == index:
                _invalid(f"nodes[{index}]", "a child that is not a tree node")
            parent[child] = index
    # From the roots down: each node is reached once (one parent each), so a node never
    # reached sits in a cycle.
    world = {}
    stack = [(index, IDENTITY) for index in range(len(nodes)) if index not in parent]
    while stack:
        index, above = stack.pop()
        world[index] = _multiply(above, _local(nodes[index], index))
        stack.extend((child, world[index]) for child in nodes[index].get("children", []))
    if len(world) != len(nodes):
        _invalid("nodes", "a cycle of children")
    used = set()
    for index, node in enumerate(nodes):
        if "mesh" in node:
            mesh = _ref(node, "mesh", mesh_count, f"nodes[{index}]")
            used.add(mesh)
            yield mesh, world[index]
    for mesh in range(mesh_count):
        if mesh not in used:
            yield mesh, IDENTITY


IDENTITY = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def _local(node: dict, index: int) -> tuple:
    """The node's own transform, column-major as glTF stores it."""
    if "matrix" in node:
        return _numbers(node, "matrix", 16, f"nodes[{index}]")
    tx, ty, tz = _numbers(node, "translation", 3, f"nodes[{index}]", (0.0, 0.0, 0.0))
    x, y, z, w = _numbers(node, "rotation", 4, f"nodes[{index}]", (0.0, 0.0, 0.0, 1.0))
    sx, sy, sz = _numbers(node, "scale", 3, f"nodes[{index}]", (1.0, 1.0, 1.0))
    # T * R * S
    return (
        (1 - 2 * (y * y + z * z)) * sx, (2 * (x * y + z * w)) * sx, (2 * (x * z - y * w)) * sx, 0.0,
        (2 * (x * y - z * w)) * sy, (1 - 2 * (x * x + z * z)) * sy, (2 * (y * z + x * w)) * sy, 0.0,
        (2 * (x * z + y * w)) * sz, (2 * (y * z - x * w)) * sz, (1 - 2 * (x * x + y * y)) * sz, 0.0,
        tx, ty, tz, 1.0)


def _multiply(a: tuple, b: tuple) -> tuple:
    return tuple(sum(a[k * 4 + row] * b[col * 4 + k] for k in range(4))
                 for col in range(4) for row in range(4))


def _apply(m: tuple, p: tuple) -> tuple:
    return tuple(m[row] * p[0] + m[4 + row] * p[1] + m[8 + row] * p[2] + m[12 + row] for row in range(3))


def _corners(low, high):
    return [(x, y, z) for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]


# -- reading the JSON defensively --------------------------------------------------------------
# Any value can be of any type in a hostile file: these turn a wrong one into invalid_gltf
# instead of a TypeError (and a 500).

def _invalid(where: str, what: str):
    raise GlbError("invalid_gltf", _(
        "The model's description is invalid at ${where} (${what}): the GLB is damaged.",
        mapping={"where": where, "what": what}))


def _list(obj: dict, key: str, of=dict) -> list:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, of) and not isinstance(v, bool) for v in value):
        _invalid(key, "not a list of " + ("objects" if of is dict else "numbers"))
    return value


def _int(obj: dict, key: str, where: str, *, default: int | None = None, minimum: int = 0) -> int:
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        _invalid(f"{where}.{key}", "missing or not a whole number")
    return value


def _ref(obj: dict, key: str, length: int, where: str) -> int:
    value = _int(obj, key, where)
    if value >= length:
        _invalid(f"{where}.{key}", "refers to nothing")
    return value


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a JSON integer too large for a float
        return False


def _numbers(obj: dict, key: str, length: int, where: str, default=None) -> tuple:
    value = obj.get(key, default)
    if not isinstance(value, (list, tuple)) or len(value) != length or not all(map(_is_number, value)):
        _invalid(f"{where}.{key}", f"not {length} numbers")
    return tuple(float(v) for v in value)
