"""GLB checks on upload, without HTTP: a valid model is described from its bytes; every kind
of damaged, lying, external or oversized file is refused with its own code and a message
naming the problem; and the Khronos validator agrees with our builder and passes every
committed model."""
import copy
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from heritage3d.glb import CHUNK_BIN, CHUNK_JSON, MAGIC, GlbError, GlbInfo, inspect_glb
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_SCRIPT = Path(__file__).with_name("validate_gltf.mjs")


# -- a tiny GLB builder ----------------------------------------------------------------------

def chunk(kind: int, payload: bytes, pad: bytes) -> bytes:
    payload += pad * (-len(payload) % 4)
    return struct.pack("<II", len(payload), kind) + payload


def glb(gltf: dict | bytes, binary: bytes | None = None, *, magic=MAGIC, version=2, length=None,
        chunks=None) -> bytes:
    """A GLB file around `gltf` (a dict, or raw bytes for a broken JSON) and `binary`.
    `chunks` replaces the chunk list; `length` makes the header lie."""
    raw = gltf if isinstance(gltf, bytes) else json.dumps(gltf).encode()
    if chunks is None:
        chunks = [chunk(CHUNK_JSON, raw, b" ")] + ([chunk(CHUNK_BIN, binary, b"\0")] if binary is not None else [])
    body = b"".join(chunks)
    total = 12 + len(body)
    return struct.pack("<III", magic, version, total if length is None else length) + body


def mesh_model(positions, indices=None, *, mode=None, mesh_nodes=1) -> tuple[dict, bytes]:
    """(gltf, bin) for one mesh of float32 `positions` (and uint16 `indices`), used by
    `mesh_nodes` nodes side by side along x (2 units apart)."""
    vertex_bytes = b"".join(struct.pack("<3f", *p) for p in positions)
    index_bytes = struct.pack(f"<{len(indices)}H", *indices) if indices else b""
    index_bytes += b"\0" * (-len(index_bytes) % 4)
    primitive = {"attributes": {"POSITION": 0}}
    views = [{"buffer": 0, "byteLength": len(vertex_bytes), "target": 34962}]
    accessors = [{"bufferView": 0, "componentType": 5126, "count": len(positions), "type": "VEC3",
                  "min": [min(p[i] for p in positions) for i in range(3)],
                  "max": [max(p[i] for p in positions) for i in range(3)]}]
    if indices:
        views.append({"buffer": 0, "byteOffset": len(vertex_bytes), "byteLength": len(indices) * 2,
                      "target": 34963})
        accessors.append({"bufferView": 1, "componentType": 5123, "count": len(indices), "type": "SCALAR"})
        primitive["indices"] = 1
    if mode is not None:
        primitive["mode"] = mode
    nodes = [{"mesh": 0, "translation": [2.0 * n, 0.0, 0.0]} for n in range(mesh_nodes)]
    gltf = {
        "asset": {"version": "2.0", "generator": "LàngViệt tests"},
        "scene": 0, "scenes": [{"nodes": list(range(mesh_nodes))}], "nodes": nodes,
        "meshes": [{"primitives": [primitive]}],
        "accessors": accessors, "bufferViews": views,
        "buffers": [{"byteLength": len(vertex_bytes) + len(index_bytes)}],
    }
    return gltf, vertex_bytes + index_bytes


def triangle():
    return mesh_model([(0, 0, 0), (1, 0, 0), (0, 1, 0)])


CUBE_CORNERS = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
# Two triangles per face, wound outwards; corner index = 4x + 2y + z.
CUBE_FACES = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
CUBE_INDICES = [i for a, b, c, d in CUBE_FACES for i in (a, b, c, a, c, d)]


def cube(**kwargs):
    return mesh_model(CUBE_CORNERS, CUBE_INDICES, **kwargs)


def refused(data: bytes, **limits) -> GlbError:
    with pytest.raises(GlbError) as error:
        inspect_glb(data, **limits)
    return error.value


# -- valid models --------------------------------------------------------------------------

def test_a_cube_is_described_from_its_bytes():
    data = glb(*cube())
    info = inspect_glb(data)
    assert info == GlbInfo(size_bytes=len(data), triangle_count=12, vertex_count=8, mesh_count=1,
                           node_count=1, has_textures=False, generator="LàngViệt tests",
                           bounds_min=(-0.5, -0.5, -0.5), bounds_max=(0.5, 0.5, 0.5))


def test_an_unindexed_triangle_counts_its_positions():
    assert inspect_glb(glb(*triangle())).triangle_count == 1


def test_a_mesh_used_by_two_nodes_counts_twice_and_both_are_in_the_box():
    # The budget is what the phone draws: two instances, twice the triangles.
    info = inspect_glb(glb(*cube(mesh_nodes=2)))
    assert (info.triangle_count, info.vertex_count, info.mesh_count) == (24, 16, 1)
    assert (info.bounds_min, info.bounds_max) == ((-0.5, -0.5, -0.5), (2.5, 0.5, 0.5))


def test_node_transforms_move_the_box():
    gltf, binary = cube()
    gltf["nodes"] = [{"children": [1], "scale": [2.0, 2.0, 2.0]},
                     {"mesh": 0, "rotation": [0.0, 0.0, 0.7071068, 0.7071068], "translation": [0.0, 1.0, 0.0]}]
    gltf["scenes"] = [{"nodes": [0]}]
    info = inspect_glb(glb(gltf, binary))
    assert info.bounds_min == pytest.approx((-1.0, 1.0, -1.0))
    assert info.bounds_max == pytest.approx((1.0, 3.0, 1.0))


@pytest.mark.parametrize("mode, indices, triangles", [
    (5, None, 2),  # a strip of 4 vertices: 4 - 2
    (6, None, 2),  # a fan of 4 vertices
    (5, [0, 1, 2, 3, 0], 3),  # an indexed strip counts indices: 5 - 2
    (1, None, 0),  # lines draw no triangles
])
def test_strips_and_fans_count_all_but_two(mode, indices, triangles):
    quad = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)]
    assert inspect_glb(glb(*mesh_model(quad, indices, mode=mode))).triangle_count == triangles


def test_textures_embedded_as_data_uris_are_accepted():
    gltf, binary = triangle()
    gltf["images"] = [{"uri": "data:image/png;base64,iVBORw0KGgo="}]
    gltf["textures"] = [{"source": 0}]
    assert inspect_glb(glb(gltf, binary)).has_textures


# -- refused, each with its reason -------------------------------------------------------------

def english(error: GlbError) -> str:
    return error.message.interpolate()


def with_gltf(change) -> bytes:
    """The cube, its JSON changed by `change(gltf)`."""
    gltf, binary = cube()
    gltf = copy.deepcopy(gltf)
    change(gltf)
    return glb(gltf, binary)


VALID = glb(*cube())
BAD = {
    "truncated": (VALID[:-10], "length_mismatch", f"declares {len(VALID)} bytes but the file has {len(VALID) - 10}"),
    "only a header": (VALID[:12], "too_short", "too short to be a GLB"),
    "empty": (b"", "too_short", "too short"),
    "wrong magic": (b"gLTF" + VALID[4:], "bad_magic", "does not start with “glTF”"),
    "a .gltf JSON file": (json.dumps(cube()[0]).encode(), "bad_magic", "not a GLB file"),
    "version 1": (glb(*cube(), version=1), "bad_version", "version 1; only glTF 2.0"),
    "declared length larger": (glb(*cube(), length=len(VALID) + 4), "length_mismatch",
                               f"declares {len(VALID) + 4} bytes"),
    "declared length smaller": (glb(*cube(), length=len(VALID) - 4), "length_mismatch",
                                f"declares {len(VALID) - 4} bytes"),
    "chunk longer than the file": (VALID[:12] + struct.pack("<I", 10_000) + VALID[16:], "bad_chunk", "Chunk 0"),
    "chunk length not a multiple of 4": (glb({}, chunks=[struct.pack("<II", 2, CHUNK_JSON) + b"{}  "]),
                                         "bad_chunk", "Chunk 0"),
    "BIN chunk first": (glb({}, chunks=[chunk(CHUNK_BIN, cube()[1], b"\0"),
                                        chunk(CHUNK_JSON, json.dumps(cube()[0]).encode(), b" ")]),
                        "json_not_first", "first chunk is not its JSON"),
    "two JSON chunks": (glb({}, chunks=[chunk(CHUNK_JSON, b"{}", b" "), chunk(CHUNK_JSON, b"{}", b" ")]),
                        "bad_chunk", "Chunk 1"),
    "JSON that is not JSON": (glb(b"{'asset': 1,"), "bad_json", "not valid JSON"),
    "JSON that is not UTF-8": (glb(b'{"asset": "\xff"}'), "bad_json", "not valid JSON"),
    "JSON nested beyond reason": (glb(b"[" * 100_000 + b"]" * 100_000), "bad_json", "not valid JSON"),
    "JSON with NaN": (glb(b'{"asset": {"version": "2.0"}, "x": NaN}'), "bad_json", "not valid JSON"),
    "JSON enormous": (glb({"asset": {"version": "2.0"}, "extras": "x" * 2_000_000}, b""),
                      "json_too_large", "at most 1048576 bytes"),
    "JSON an array": (glb([1, 2]), "not_gltf2", "asset.version"),
    "no asset.version": (with_gltf(lambda g: g["asset"].pop("version")), "not_gltf2", "glTF version 2.0"),
    "glTF 1.0": (with_gltf(lambda g: g["asset"].update(version="1.0")), "not_gltf2", "glTF version 2.0"),
    "an external buffer": (with_gltf(lambda g: g["buffers"][0].update(uri="cube.bin")),
                           "external_uri", "another file (cube.bin)"),
    "an external texture": (with_gltf(lambda g: g.update(images=[{"uri": "https://example.com/a.png"}])),
                            "external_uri", "(https://example.com/a.png)"),
    "no BIN chunk": (glb(cube()[0]), "bad_bin", "binary data does not match"),
    "BIN shorter than declared": (with_gltf(lambda g: g["buffers"][0].update(byteLength=500)),
                                  "bad_bin", "(500 bytes)"),
    "buffer view past its buffer": (with_gltf(lambda g: g["bufferViews"][1].update(byteOffset=100)),
                                    "buffer_view_out_of_range", "Buffer view 1 reaches past the end"),
    "accessor past its buffer view": (with_gltf(lambda g: g["accessors"][1].update(count=37)),
                                      "accessor_out_of_range", "Accessor 1 claims 37 elements"),
    "accessor offset past its view": (with_gltf(lambda g: g["accessors"][0].update(byteOffset=4)),
                                      "accessor_out_of_range", "Accessor 0"),
    "an index past the vertices": (glb(*mesh_model(CUBE_CORNERS, CUBE_INDICES[:-1] + [8])),
                                   "index_out_of_range", "refers to vertex 8 but has only 8 vertices"),
    "indices as floats": (with_gltf(lambda g: g["accessors"][1].update(componentType=5126, count=18)),
                          "invalid_gltf", "accessors[1]"),
    "a mesh that does not exist": (with_gltf(lambda g: g["nodes"][0].update(mesh=3)),
                                   "invalid_gltf", "nodes[0].mesh (refers to nothing)"),
    "a string where a number goes": (with_gltf(lambda g: g["accessors"][0].update(count="8")),
                                     "invalid_gltf", "accessors[0].count"),
    "a cycle of nodes": (with_gltf(lambda g: g.update(nodes=[{"children": [1]}, {"children": [0], "mesh": 0}])),
                         "invalid_gltf", "cycle"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_is_refused_with_its_reason(case):
    data, code, named = BAD[case]
    error = refused(data)
    assert error.code == code
    assert named in english(error)
    assert error.message.domain == "heritage3d"


def test_over_the_byte_budget_is_refused_before_reading():
    # Not even a GLB: the size alone decides, so a huge upload costs nothing more.
    error = refused(b"\0" * (3 * 1024 * 1024 + 1))
    assert error.code == "too_large"
    assert english(error) == (f"The file is {3 * 1024 * 1024 + 1} bytes; models must be at most "
                              f"{3 * 1024 * 1024} bytes to load on a phone.")
    assert refused(VALID, max_bytes=len(VALID) - 1).code == "too_large"
    assert inspect_glb(VALID, max_bytes=len(VALID)).size_bytes == len(VALID)


def test_over_the_triangle_budget_says_both_numbers():
    error = refused(glb(*cube(mesh_nodes=2)), max_triangles=20)
    assert error.code == "too_many_triangles"
    assert "The model has 24 triangles; models must have at most 20 triangles" in english(error)
    assert inspect_glb(glb(*cube(mesh_nodes=2)), max_triangles=24).triangle_count == 24


def test_the_json_cap_is_configurable():
    assert refused(VALID, max_json_bytes=100).code == "json_too_large"


def test_no_bad_input_escapes_as_another_exception():
    # Every single-byte corruption and every truncation of a valid file is either accepted
    # or refused as a GlbError: never an IndexError, KeyError or TypeError (a 500).
    for at in range(len(VALID)):
        for value in (0x00, 0xFF, VALID[at] ^ 0x01):
            damaged = VALID[:at] + bytes([value]) + VALID[at + 1:]
            try:
                inspect_glb(damaged)
            except GlbError:
                pass
        with pytest.raises(GlbError):
            inspect_glb(VALID[:at])


WRONG_VALUES = [None, True, "x", -1, 0, 1.5, 10**400, 1e308, [], [1, 2], {}, {"a": 1}]


def paths(tree, at=()):
    """Every (path, value) in a JSON tree."""
    yield at, tree
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        yield from paths(value, at + (key,))


def test_no_wrong_value_anywhere_in_the_json_escapes_as_another_exception():
    # Each value of a valid model's JSON (two instanced, transformed nodes) replaced in turn
    # by values of the wrong type or range: refused as a GlbError or accepted, never a crash.
    gltf, binary = cube(mesh_nodes=2)
    gltf["nodes"][1]["rotation"] = [0.0, 0.0, 0.0, 1.0]
    gltf["nodes"].append({"children": [0, 1]})
    gltf["scenes"] = [{"nodes": [2]}]
    for at, _value in list(paths(gltf))[1:]:
        for wrong in WRONG_VALUES:
            changed = copy.deepcopy(gltf)
            target = changed
            for key in at[:-1]:
                target = target[key]
            target[at[-1]] = wrong
            try:
                inspect_glb(glb(changed, binary))
            except GlbError:
                pass


# -- the Khronos glTF validator ------------------------------------------------------------------

def khronos(paths: list[Path]) -> list[dict]:
    """The validator's report on each file, or skip (fail under CI) if it cannot run."""
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "gltf-validator" / "package.json").exists()
    if not node or not installed:
        message = "the Khronos glTF validator needs node and `npm ci` (gltf-validator)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    run = subprocess.run([node, str(VALIDATOR_SCRIPT), *map(str, paths)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout)


def assert_no_errors(reports: list[dict]) -> None:
    for report in reports:
        if report["warnings"]:
            print(f"{report['file']}: {report['warnings']} warning(s)",
                  json.dumps([m for m in report["messages"] if m.get("severity") == 1], indent=1))
    errors = {r["file"]: [m for m in r["messages"] if m.get("severity", 0) == 0] for r in reports if r["errors"]}
    assert not errors, json.dumps(errors, indent=1)


def test_the_builder_makes_models_the_khronos_validator_accepts(tmp_path):
    models = {"triangle": triangle(), "cube": cube(), "two cubes": cube(mesh_nodes=2)}
    paths = []
    for name, (gltf, binary) in models.items():
        paths.append(tmp_path / f"{name}.glb")
        paths[-1].write_bytes(glb(gltf, binary))
    reports = khronos(paths)
    assert [r["file"] for r in reports] == list(map(str, paths))
    assert_no_errors(reports)


def test_the_khronos_validator_catches_what_we_refuse(tmp_path):
    # A negative control: the harness does report errors when there are some.
    path = tmp_path / "lying.glb"
    path.write_bytes(BAD["accessor past its buffer view"][0])
    [report] = khronos([path])
    assert report["errors"] > 0


def committed_models() -> list[Path]:
    return sorted((ROOT / "heritage3d").rglob("*.glb"))


@pytest.mark.parametrize("path", committed_models() or [None], ids=lambda p: str(p.relative_to(ROOT)) if p else "none yet")
def test_every_committed_model_passes_both_checks(path):
    if path is None:
        pytest.skip("no .glb committed under heritage3d/ yet (the builder's models are checked above)")
    # Our own checks accept it within the default mobile budget (even without node), and
    # so does the Khronos validator.
    inspect_glb(path.read_bytes())
    assert_no_errors(khronos([path]))
