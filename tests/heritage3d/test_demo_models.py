"""The demo models: deterministic, committed as generated, small, and annotated truthfully.

The GLBs are read back here with struct alone (not with the builder that wrote them), so a
bug in the writer cannot hide in its own reader. The Khronos validator runs over every
committed .glb in test_glb.py.
"""

import io
import json
import math
import struct
from pathlib import Path

import pytest
from PIL import Image

from heritage3d.demo import generate
from heritage3d.glb import inspect_glb

MODELS = Path(generate.__file__).parent / "models"
LOCALES_ALL = ("vi", "en", "ko", "zh", "ja", "fr")
LOCALES_SHORT = ("vi", "en", "ko")  # hotspots and guided views
MAX_BYTES = 300 * 1024
MAX_TRIANGLES = 20_000
SURFACE_TOLERANCE = 0.002  # metres


@pytest.fixture(scope="module")
def built():
    return generate.build_all()


ASSETS = generate.load_assets()
SLUGS = [a["slug"] for a in ASSETS]


def read_glb(data):
    """(json, bin) of a GLB, checking the container as the spec describes it."""
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, json_type = struct.unpack_from("<I4s", data, 12)
    assert json_type == b"JSON" and json_length % 4 == 0
    gltf = json.loads(data[20 : 20 + json_length])
    offset = 20 + json_length
    bin_length, bin_type = struct.unpack_from("<I4s", data, offset)
    assert bin_type == b"BIN\0" and bin_length % 4 == 0
    assert offset + 8 + bin_length == len(data)
    return gltf, data[offset + 8 :]


def read_accessor(gltf, binary, index):
    accessor = gltf["accessors"][index]
    view = gltf["bufferViews"][accessor["bufferView"]]
    assert view["byteOffset"] % 4 == 0 and "byteStride" not in view
    fmt, width = {5126: ("f", 4), 5123: ("H", 2), 5125: ("I", 4), 5121: ("B", 1)}[accessor["componentType"]]
    n = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    count = accessor["count"] * n
    assert count * width <= view["byteLength"]
    values = struct.unpack_from(f"<{count}{fmt}", binary, view["byteOffset"] + accessor.get("byteOffset", 0))
    return [values[i : i + n] for i in range(0, count, n)] if n > 1 else list(values)


def triangles(gltf, binary):
    """Every triangle of the model as three (x, y, z) points."""
    out = []
    for mesh in gltf["meshes"]:
        for p in mesh["primitives"]:
            assert p.get("mode", 4) == 4
            positions = read_accessor(gltf, binary, p["attributes"]["POSITION"])
            indices = read_accessor(gltf, binary, p["indices"])
            out += [tuple(positions[i] for i in indices[t : t + 3]) for t in range(0, len(indices), 3)]
    return out


def sub(a, b):
    return tuple(a[i] - b[i] for i in range(3))


def dot(a, b):
    return sum(a[i] * b[i] for i in range(3))


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def closest_point(p, tri):
    """Closest point to p on triangle tri (Ericson, Real-Time Collision Detection, 5.1.5)."""
    a, b, c = tri
    ab, ac, ap = sub(b, a), sub(c, a), sub(p, a)
    d1, d2 = dot(ab, ap), dot(ac, ap)
    if d1 <= 0 and d2 <= 0:
        return a
    bp = sub(p, b)
    d3, d4 = dot(ab, bp), dot(ac, bp)
    if d3 >= 0 and d4 <= d3:
        return b
    vc = d1 * d4 - d3 * d2
    if vc <= 0 and d1 >= 0 and d3 <= 0:
        v = d1 / (d1 - d3)
        return tuple(a[i] + v * ab[i] for i in range(3))
    cp = sub(p, c)
    d5, d6 = dot(ab, cp), dot(ac, cp)
    if d6 >= 0 and d5 <= d6:
        return c
    vb = d5 * d2 - d1 * d6
    if vb <= 0 and d2 >= 0 and d6 <= 0:
        w = d2 / (d2 - d6)
        return tuple(a[i] + w * ac[i] for i in range(3))
    va = d3 * d6 - d5 * d4
    if va <= 0 and d4 - d3 >= 0 and d5 - d6 >= 0:
        w = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        return tuple(b[i] + w * (c[i] - b[i]) for i in range(3))
    denom = 1 / (va + vb + vc)
    v, w = vb * denom, vc * denom
    return tuple(a[i] + ab[i] * v + ac[i] * w for i in range(3))


def triangles_near(p, tris, tolerance):
    """The triangles within `tolerance` of point p."""
    near = []
    for tri in tris:
        # Cheap rejection by bounding box before the exact test.
        if any(min(v[i] for v in tri) - p[i] > tolerance or p[i] - max(v[i] for v in tri) > tolerance for i in range(3)):
            continue
        if math.dist(p, closest_point(p, tri)) <= tolerance:
            near.append(tri)
    return near


# -- determinism ----------------------------------------------------------------------------


def test_generation_is_deterministic(built):
    assert generate.build_all() == built


def test_committed_files_are_what_the_generator_makes(built):
    # A changed generator (or assets.toml) without `python -m heritage3d.demo.generate` fails.
    committed = {p.name: p.read_bytes() for p in MODELS.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(built)
    stale = [name for name in built if committed[name] != built[name]]
    assert not stale, f"regenerate: python -m heritage3d.demo.generate ({stale})"


def test_everything_committed_fits_a_phone(built):
    assert sum(len(b) for b in built.values()) <= 1024 * 1024
    for name, data in built.items():
        if name.endswith(".webp"):
            assert len(data) <= 60 * 1024, name
            with Image.open(io.BytesIO(data)) as poster:
                assert poster.format == "WEBP"
                width, height = poster.size
            [asset] = [a for a in ASSETS if f"{a['slug']}.webp" == name]
            assert (width, height) == (asset["poster"]["width"], asset["poster"]["height"])


# -- each model -----------------------------------------------------------------------------


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_the_glb_is_well_formed_and_within_budget(asset, built):
    data = built[f"{asset['slug']}.glb"]
    assert len(data) <= MAX_BYTES
    gltf, binary = read_glb(data)
    assert gltf["asset"] == {"version": "2.0", "generator": "LàngViệt heritage3d demo"}
    tris = triangles(gltf, binary)
    assert len(tris) <= MAX_TRIANGLES
    info = inspect_glb(data)  # the upload checks accept it too
    assert info is not None


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_bounds_match_the_declared_real_dimensions(asset, built):
    gltf, binary = read_glb(built[f"{asset['slug']}.glb"])
    lo, hi = [math.inf] * 3, [-math.inf] * 3
    for mesh in gltf["meshes"]:
        for p in mesh["primitives"]:
            accessor = gltf["accessors"][p["attributes"]["POSITION"]]
            points = read_accessor(gltf, binary, p["attributes"]["POSITION"])
            # min/max are required on POSITION and must be the exact bounds.
            assert accessor["min"] == [min(v[i] for v in points) for i in range(3)]
            assert accessor["max"] == [max(v[i] for v in points) for i in range(3)]
            lo = [min(lo[i], accessor["min"][i]) for i in range(3)]
            hi = [max(hi[i], accessor["max"][i]) for i in range(3)]
    size = [hi[i] - lo[i] for i in range(3)]
    declared = asset["dimensions"]
    for measured, name in zip(size, ("width", "height", "depth")):
        assert measured == pytest.approx(declared[name], rel=0.05), name
    assert lo[1] == pytest.approx(0, abs=1e-6)  # standing on the ground


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_normals_are_unit_and_agree_with_the_winding(asset, built):
    # Front faces are counter-clockwise; a triangle wound the wrong way would be culled
    # (invisible) in the viewer, which the vertex normals would not reveal.
    gltf, binary = read_glb(built[f"{asset['slug']}.glb"])
    for mesh in gltf["meshes"]:
        for p in mesh["primitives"]:
            positions = read_accessor(gltf, binary, p["attributes"]["POSITION"])
            normals = read_accessor(gltf, binary, p["attributes"]["NORMAL"])
            indices = read_accessor(gltf, binary, p["indices"])
            assert all(abs(math.hypot(*n) - 1) < 5e-4 for n in normals)
            for t in range(0, len(indices), 3):
                i, j, k = indices[t : t + 3]
                face = cross(sub(positions[j], positions[i]), sub(positions[k], positions[i]))
                assert math.hypot(*face) > 0, "degenerate triangle"
                average = [normals[i][m] + normals[j][m] + normals[k][m] for m in range(3)]
                assert dot(face, average) > 0


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_hotspots_sit_on_the_surface_facing_out(asset, built):
    manifest = {a["slug"]: a for a in json.loads(built["assets.json"])["assets"]}[asset["slug"]]
    gltf, binary = read_glb(built[f"{asset['slug']}.glb"])
    tris = triangles(gltf, binary)
    assert len(manifest["hotspots"]) >= 3
    for hotspot in manifest["hotspots"]:
        position, normal = hotspot["position"], hotspot["normal"]
        assert math.hypot(*normal) == pytest.approx(1, abs=1e-3)
        near = triangles_near(position, tris, SURFACE_TOLERANCE)
        assert near, f"{hotspot['anchor']} is not on the surface"
        # Outward: the normal faces the front side of a triangle it sits on (at an edge,
        # such as a vase's lip, the point touches several; one of them must agree).
        agreement = []
        for tri in near:
            face = cross(sub(tri[1], tri[0]), sub(tri[2], tri[0]))
            agreement.append(dot(face, normal) / math.hypot(*face))
        assert max(agreement) > 0.9, hotspot["anchor"]


# -- metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_every_text_is_there_in_every_locale(asset):
    for locale in LOCALES_ALL:
        assert asset["texts"][locale]["title"].strip() and asset["texts"][locale]["description"].strip()
    for hotspot in asset["hotspots"]:
        for locale in LOCALES_SHORT:
            assert hotspot["texts"][locale]["label"].strip() and hotspot["texts"][locale]["text"].strip()
    assert 3 <= len(asset["views"]) <= 4
    for view in asset["views"]:
        theta, phi, radius = view["orbit"].split()
        assert theta.endswith("deg") and phi.endswith("deg") and radius.endswith("m")
        assert len(view["target"].split()) == 3 and all(v.endswith("m") for v in view["target"].split())
        for locale in LOCALES_SHORT:
            assert view["texts"][locale]["caption"].strip()


@pytest.mark.parametrize("asset", ASSETS, ids=SLUGS)
def test_licence_and_links_to_the_catalogue(asset):
    import tomllib

    root = Path(generate.__file__).parents[2]
    villages = tomllib.loads((root / "tourism/catalog/demo/villages.toml").read_text("utf-8"))["villages"]
    tours = tomllib.loads((root / "audio_guides/demo/tours.toml").read_text("utf-8"))["tours"]
    [village] = [v for v in villages if v["slug"] == asset["village"]]
    assert set(asset["experiences"]) <= {e["slug"] for e in village["experiences"]}
    assert set(asset["audio_stops"]) <= {s["code"] for t in tours for s in t["stops"]}
    assert (asset["creator"], asset["licence"]) == ("LàngViệt", "CC-BY-4.0")
    assert asset["attribution"] and asset["provenance"]
