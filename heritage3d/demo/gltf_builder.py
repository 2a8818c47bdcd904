"""A tiny GLB (binary glTF 2.0) writer: just what the demo models need.

Pure Python (struct + json) so that the project's own models can be regenerated anywhere
without a 3D toolkit. Supported: one mesh per node, triangle primitives with POSITION,
NORMAL and optional COLOR_0, uint16/uint32 indices, PBR metallic-roughness materials with
constant factors (no textures). Units are metres, Y up, as glTF requires.

Output is deterministic: no timestamps, JSON keys in a fixed order, floats stored as
float32 through struct, so the same geometry always gives the same bytes.
"""

import json
import math
import struct
from dataclasses import dataclass

GENERATOR = "LàngViệt heritage3d demo"

_FLOAT = 5126
_UNSIGNED_BYTE = 5121
_UINT16 = 5123
_UINT32 = 5125
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_TRIANGLES = 4


def _f32(value):
    """Round through float32, so min/max are computed from the values actually stored."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


@dataclass(frozen=True)
class Material:
    """A constant-colour PBR metallic-roughness material (linear RGBA factors)."""

    name: str
    rgba: tuple
    metallic: float = 0.0
    roughness: float = 0.8


class Primitive:
    """One draw call: vertices sharing a material.

    `positions` and `normals` are lists of 3-tuples; `colors` optional RGB tuples in 0..1,
    multiplied with the material's colour; `indices` a flat list of vertex numbers, three
    per triangle, counter-clockwise seen from outside (glTF's front face).
    """

    def __init__(self, material, positions, normals, indices, colors=None):
        if len(positions) != len(normals) or (colors is not None and len(colors) != len(positions)):
            raise ValueError("every vertex needs a position, a normal (and a colour)")
        if len(indices) % 3:
            raise ValueError("indices must come in triangles")
        self.material = material
        self.positions = positions
        self.normals = normals
        self.indices = indices
        self.colors = colors

    @property
    def triangle_count(self):
        return len(self.indices) // 3


class GlbBuilder:
    def __init__(self):
        self._materials = []
        self._material_ids = {}
        self._meshes = []  # (name, [Primitive])
        self._bin = bytearray()
        self._views = []
        self._accessors = []

    def _material(self, m):
        """Declare each material once, in order of first use."""
        if m not in self._material_ids:
            pbr = {
                "baseColorFactor": [round(c, 4) for c in m.rgba],
                "metallicFactor": m.metallic,
                "roughnessFactor": m.roughness,
            }
            self._material_ids[m] = len(self._materials)
            self._materials.append({"name": m.name, "pbrMetallicRoughness": pbr})
        return self._material_ids[m]

    def mesh(self, name, primitives):
        self._meshes.append((name, [p for p in primitives if p.indices]))

    # -- binary layout ----------------------------------------------------------------------

    def _view(self, data, target):
        # Every buffer view starts on a 4-byte boundary: the spec requires accessors to be
        # aligned to their component size, and 4 covers float32 and uint32.
        while len(self._bin) % 4:
            self._bin.append(0)
        self._views.append(
            {"buffer": 0, "byteOffset": len(self._bin), "byteLength": len(data), "target": target}
        )
        self._bin += data
        return len(self._views) - 1

    def _vec3_accessor(self, values, with_bounds):
        flat = [_f32(c) for v in values for c in v]
        view = self._view(struct.pack("<%df" % len(flat), *flat), _ARRAY_BUFFER)
        accessor = {"bufferView": view, "componentType": _FLOAT, "count": len(values), "type": "VEC3"}
        if with_bounds:
            # POSITION must carry min and max (glTF 2.0, 3.7.2.1); they must be exact.
            accessor["min"] = [min(flat[i::3]) for i in range(3)]
            accessor["max"] = [max(flat[i::3]) for i in range(3)]
        self._accessors.append(accessor)
        return len(self._accessors) - 1

    def _color_accessor(self, colors):
        # Normalised RGBA bytes: a quarter of float RGB, and 4 bytes keep the element
        # aligned as vertex attributes must be (VEC3 bytes would need a byteStride).
        data = bytes(round(255 * min(1.0, max(0.0, c))) for rgb in colors for c in (*rgb, 1.0))
        view = self._view(data, _ARRAY_BUFFER)
        self._accessors.append(
            {
                "bufferView": view,
                "componentType": _UNSIGNED_BYTE,
                "normalized": True,
                "count": len(colors),
                "type": "VEC4",
            }
        )
        return len(self._accessors) - 1

    def _index_accessor(self, indices, vertex_count):
        # uint16 while it fits; 65535 is reserved for primitive restart, hence the strict <.
        if vertex_count < 65535:
            data, component = struct.pack("<%dH" % len(indices), *indices), _UINT16
        else:
            data, component = struct.pack("<%dI" % len(indices), *indices), _UINT32
        view = self._view(data, _ELEMENT_ARRAY_BUFFER)
        self._accessors.append(
            {"bufferView": view, "componentType": component, "count": len(indices), "type": "SCALAR"}
        )
        return len(self._accessors) - 1

    def build(self):
        """Return the GLB file as bytes."""
        meshes = []
        for name, primitives in self._meshes:
            gltf_primitives = []
            for p in primitives:
                attributes = {
                    "POSITION": self._vec3_accessor(p.positions, True),
                    "NORMAL": self._vec3_accessor([_unit(n) for n in p.normals], False),
                }
                if p.colors is not None:
                    attributes["COLOR_0"] = self._color_accessor(p.colors)
                gltf_primitives.append(
                    {
                        "attributes": attributes,
                        "indices": self._index_accessor(p.indices, len(p.positions)),
                        "material": self._material(p.material),
                        "mode": _TRIANGLES,
                    }
                )
            meshes.append({"name": name, "primitives": gltf_primitives})
        while len(self._bin) % 4:
            self._bin.append(0)

        gltf = {
            "asset": {"version": "2.0", "generator": GENERATOR},
            "scene": 0,
            "scenes": [{"nodes": list(range(len(meshes)))}],
            "nodes": [{"name": m["name"], "mesh": i} for i, m in enumerate(meshes)],
            "meshes": meshes,
            "materials": self._materials,
            "accessors": self._accessors,
            "bufferViews": self._views,
            "buffers": [{"byteLength": len(self._bin)}],
        }
        text = json.dumps(gltf, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        text += b" " * (-len(text) % 4)  # JSON chunk padded with spaces (spec 4.4.3.1)
        binary = bytes(self._bin)  # already a multiple of 4, padded with zeros
        total = 12 + 8 + len(text) + 8 + len(binary)
        return b"".join(
            [
                struct.pack("<4sII", b"glTF", 2, total),
                struct.pack("<I4s", len(text), b"JSON"),
                text,
                struct.pack("<I4s", len(binary), b"BIN\0"),
                binary,
            ]
        )


def _unit(v):
    """Normalise in double precision; the validator wants unit normals within 5e-4."""
    length = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return (v[0] / length, v[1] / length, v[2] / length)
