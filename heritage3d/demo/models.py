"""The demo models, built from simple geometry by the project's own code.

Each builder returns a `Model`: its primitives (for the GLB and the poster) and named
anchors, points taken from the geometry itself (a vertex and its normal), so that the
hotspots in assets.toml always sit on the surface whatever the shape becomes.

Units are metres, Y up, the front of each model facing +Z (model-viewer's default view).
Everything here is deterministic: no randomness, fixed sampling.
"""

import math
from dataclasses import dataclass, field

from .gltf_builder import GlbBuilder, Material, Primitive


@dataclass
class Model:
    slug: str
    primitives: list
    anchors: dict = field(default_factory=dict)  # name -> (position, normal)

    def glb(self):
        builder = GlbBuilder()
        builder.mesh(self.slug, self.primitives)
        return builder.build()

    @property
    def triangle_count(self):
        return sum(p.triangle_count for p in self.primitives)


# -- geometry helpers -----------------------------------------------------------------------


def _normalize(v):
    length = math.sqrt(sum(c * c for c in v))
    return tuple(c / length for c in v)


def catmull_rom(points, per_segment):
    """Sample a smooth curve through `points` (2-tuples), `per_segment` samples between two."""
    padded = [points[0], *points, points[-1]]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        for k in range(per_segment):
            t = k / per_segment
            out.append(
                tuple(
                    0.5
                    * (
                        2 * p1[c]
                        + (-p0[c] + p2[c]) * t
                        + (2 * p0[c] - 5 * p1[c] + 4 * p2[c] - p3[c]) * t * t
                        + (-p0[c] + 3 * p1[c] - 3 * p2[c] + p3[c]) * t * t * t
                    )
                    for c in range(2)
                )
            )
    out.append(points[-1])
    return out


def profile_rows(points):
    """(r, y) points -> (r, y, nr, ny) rows with smooth normals along the run.

    The normal is the tangent turned clockwise in the (r, y) plane, so a profile walked
    from the bottom centre, up the outside, over the lip and down the inside always has
    its normals on the side facing away from the material.
    """
    rows = []
    for i, (r, y) in enumerate(points):
        a = points[max(i - 1, 0)]
        b = points[min(i + 1, len(points) - 1)]
        nr, ny = _normalize((b[1] - a[1], -(b[0] - a[0])))
        rows.append((r, y, nr, ny))
    return rows


def lathe(material, rows, segments):
    """Surface of revolution of profile `rows` around the Y axis.

    Angle 0 faces +Z. A row with r == 0 is a pole: only the non-degenerate triangle of
    each quad next to it is emitted.
    """
    positions, normals, indices = [], [], []
    for r, y, nr, ny in rows:
        for j in range(segments):
            t = 2 * math.pi * j / segments
            s, c = math.sin(t), math.cos(t)
            positions.append((r * s, y, r * c))
            normals.append((nr * s, ny, nr * c))
    for i in range(len(rows) - 1):
        for j in range(segments):
            a = i * segments + j
            b = i * segments + (j + 1) % segments
            c, d = b + segments, a + segments
            if rows[i][0] > 0:
                indices += (a, b, c)
            if rows[i + 1][0] > 0:
                indices += (a, c, d)
    return Primitive(material, positions, normals, indices)


def lathe_anchor(rows, i, segments, j=0):
    """The vertex of row i at column j of a lathe, as (position, normal)."""
    r, y, nr, ny = rows[i]
    t = 2 * math.pi * j / segments
    return (r * math.sin(t), y, r * math.cos(t)), _normalize((nr * math.sin(t), ny, nr * math.cos(t)))


def quad(material, corners, normal):
    """A flat quad; the corners are reordered if needed so its front faces `normal`."""
    p0, p1, p2 = corners[:3]
    e1 = [p1[k] - p0[k] for k in range(3)]
    e2 = [p2[k] - p0[k] for k in range(3)]
    cross = (e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0])
    if sum(cross[k] * normal[k] for k in range(3)) < 0:
        corners = corners[::-1]
    return Primitive(material, list(corners), [normal] * 4, [0, 1, 2, 0, 2, 3])


def box(material, lo, hi, skip=()):
    """An axis-aligned box from corner `lo` to `hi`, flat-shaded; `skip` names faces to omit."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    faces = {
        "+x": ([(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)], (1, 0, 0)),
        "-x": ([(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)], (-1, 0, 0)),
        "+y": ([(x0, y1, z0), (x0, y1, z1), (x1, y1, z1), (x1, y1, z0)], (0, 1, 0)),
        "-y": ([(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)], (0, -1, 0)),
        "+z": ([(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], (0, 0, 1)),
        "-z": ([(x0, y0, z0), (x0, y1, z0), (x1, y1, z0), (x1, y0, z0)], (0, 0, -1)),
    }
    return merge([quad(material, *faces[name]) for name in faces if name not in skip])


def merge(primitives):
    """Join primitives of the same material into one draw call."""
    first = primitives[0]
    positions, normals, indices, colors = [], [], [], []
    for p in primitives:
        base = len(positions)
        positions += p.positions
        normals += p.normals
        indices += [base + i for i in p.indices]
        if first.colors is not None:
            colors += p.colors
    return Primitive(first.material, positions, normals, indices, colors if first.colors else None)


# -- (a) Chu Đậu baluster vase ----------------------------------------------------------------

CREAM_GLAZE = Material("men trắng ngà / cream glaze", (0.86, 0.82, 0.70, 1.0), 0.0, 0.25)
COBALT_BLUE = Material("lam cobalt / underglaze blue", (0.10, 0.17, 0.42, 1.0), 0.0, 0.25)
UNGLAZED_FOOT = Material("chân mộc / unglazed foot", (0.62, 0.47, 0.33, 1.0), 0.0, 0.9)

# Outer profile (radius, height) in metres: foot, swelling belly, shoulder, narrow neck and a
# flared mouth, the silhouette of the 15th-century baluster vases (bình) of Chu Đậu.
VASE_OUTLINE = [
    (0.060, 0.000), (0.063, 0.012), (0.078, 0.045), (0.099, 0.095), (0.106, 0.135),
    (0.100, 0.175), (0.080, 0.215), (0.052, 0.250), (0.037, 0.280), (0.036, 0.300),
    (0.044, 0.325), (0.057, 0.345), (0.060, 0.350),
]  # fmt: skip
VASE_SEGMENTS = 40
BANDS = [(0.018, 0.040), (0.186, 0.212)]  # blue bands: above the foot, on the shoulder


def chu_dau_vase():
    outer = profile_rows(catmull_rom(VASE_OUTLINE, 5))
    # Split the smooth outer surface by material; boundary rows are shared so the normals
    # stay continuous across a colour change.
    def material_of(y):
        if y < 0.008:
            return UNGLAZED_FOOT
        return COBALT_BLUE if any(lo <= y <= hi for lo, hi in BANDS) else CREAM_GLAZE

    runs, start = [], 0
    for i in range(1, len(outer)):
        if material_of(outer[i][1]) != material_of(outer[start][1]) or i == len(outer) - 1:
            runs.append((material_of(outer[start][1]), outer[start : i + 1]))
            start = i
    lip_r, lip_y = VASE_OUTLINE[-1]
    bottom = profile_rows([(0.0, 0.0), (0.060, 0.0)])
    lip = profile_rows([(lip_r, lip_y), (lip_r - 0.0035, lip_y), (lip_r - 0.007, lip_y)])
    inside = profile_rows(catmull_rom([(0.053, 0.350), (0.050, 0.338), (0.031, 0.300), (0.029, 0.270)], 4))
    floor = profile_rows([(0.029, 0.270), (0.0, 0.270)])
    primitives = [lathe(UNGLAZED_FOOT, bottom, VASE_SEGMENTS)]
    primitives += [lathe(m, rows, VASE_SEGMENTS) for m, rows in runs]
    primitives += [lathe(CREAM_GLAZE, rows, VASE_SEGMENTS) for rows in (lip, inside, floor)]
    by_material = {}
    for p in primitives:
        by_material.setdefault(p.material, []).append(p)

    def row_at(y):
        return min(range(len(outer)), key=lambda i: abs(outer[i][1] - y))

    anchors = {
        "band": lathe_anchor(outer, row_at(sum(BANDS[1]) / 2), VASE_SEGMENTS),
        "belly": lathe_anchor(outer, row_at(0.120), VASE_SEGMENTS, VASE_SEGMENTS // 8),
        "neck": lathe_anchor(outer, row_at(0.290), VASE_SEGMENTS),
        "lip": lathe_anchor(lip, 1, VASE_SEGMENTS),  # mid-rim, not on the edge
        "foot": lathe_anchor(outer, row_at(0.004), VASE_SEGMENTS),
    }
    return Model("chu-dau-vase", [merge(ps) for ps in by_material.values()], anchors)


# -- (b) Tân Cương tea-roasting pan on its brick stove ---------------------------------------

CAST_IRON = Material("gang / cast iron", (0.09, 0.09, 0.09, 1.0), 0.7, 0.55)
BRICK = Material("gạch / brick", (0.52, 0.20, 0.12, 1.0), 0.0, 0.95)
SOOT = Material("miệng lò / fire mouth", (0.03, 0.025, 0.02, 1.0), 0.0, 1.0)
TEA_LEAVES = Material("chè / tea leaves", (0.16, 0.26, 0.07, 1.0), 0.0, 0.7)

PAN_SEGMENTS = 40
STOVE_R_OUT, STOVE_R_IN, STOVE_TOP = 0.42, 0.30, 0.50
PAN_RIM_R, PAN_RIM_Y, PAN_DEPTH, PAN_WALL = 0.36, 0.55, 0.14, 0.008


def _sphere_cap(radius_at_rim, depth, y_bottom, steps):
    """(r, y) points of a spherical bowl from its lowest point up to the rim radius."""
    sphere = (radius_at_rim**2 + depth**2) / (2 * depth)
    opening = math.asin(radius_at_rim / sphere)
    return [
        (sphere * math.sin(opening * k / steps), y_bottom + sphere * (1 - math.cos(opening * k / steps)))
        for k in range(steps + 1)
    ]


def tea_roasting_pan():
    # The stove: a brick ring the pan sits in (fire inside, fed through the mouth in front).
    r_out, r_in, top = STOVE_R_OUT, STOVE_R_IN, STOVE_TOP
    stove_runs = [
        profile_rows([(r_out, top * k / 8) for k in range(9)]),
        profile_rows([(r_out, top), ((r_out + r_in) / 2, top), (r_in, top)]),
        profile_rows([(r_in, top), (r_in, 0.0)]),
    ]
    stove = merge([lathe(BRICK, rows, PAN_SEGMENTS) for rows in stove_runs])
    mouth = box(SOOT, (-0.09, 0.05, 0.38), (0.09, 0.22, 0.44), skip=("-z",))
    # The pan: a shallow cast-iron bowl, 8 mm thick, its rim 5 cm above the stove.
    y_bottom = PAN_RIM_Y - PAN_DEPTH
    outer = profile_rows(_sphere_cap(PAN_RIM_R, PAN_DEPTH, y_bottom, 16))
    rim = profile_rows([(PAN_RIM_R, PAN_RIM_Y), (PAN_RIM_R - PAN_WALL / 2, PAN_RIM_Y), (PAN_RIM_R - PAN_WALL, PAN_RIM_Y)])
    inner_points = _sphere_cap(PAN_RIM_R - PAN_WALL, PAN_DEPTH - PAN_WALL, y_bottom + PAN_WALL, 16)[::-1]
    inner = profile_rows(inner_points)
    pan = merge([lathe(CAST_IRON, rows, PAN_SEGMENTS) for rows in (outer, rim, inner)])
    # A low heap of tea leaves on the pan's floor, meeting the iron at its edge.
    heap_r = 0.17
    sphere_in = ((PAN_RIM_R - PAN_WALL) ** 2 + (PAN_DEPTH - PAN_WALL) ** 2) / (2 * (PAN_DEPTH - PAN_WALL))
    heap_points = []
    for k in range(9):
        r = heap_r * k / 8
        floor = y_bottom + PAN_WALL + sphere_in - math.sqrt(sphere_in**2 - r * r)
        heap_points.append((r, floor + 0.001 + 0.03 * math.cos(math.pi / 2 * k / 8)))
    # Walked from the centre outwards the clockwise normal would point down: reverse it.
    heap = profile_rows(heap_points[::-1])
    tea = lathe(TEA_LEAVES, heap, PAN_SEGMENTS)
    anchors = {
        "rim": lathe_anchor(rim, 1, PAN_SEGMENTS, PAN_SEGMENTS // 8),
        "tea": lathe_anchor(heap, 4, PAN_SEGMENTS, PAN_SEGMENTS // 2),
        "iron": lathe_anchor(inner, 3, PAN_SEGMENTS, PAN_SEGMENTS // 2),
        "stove": lathe_anchor(stove_runs[0], 5, PAN_SEGMENTS, PAN_SEGMENTS // 4),
        "fire": ((0.0, 0.135, 0.44), (0.0, 0.0, 1.0)),
    }
    return Model("tan-cuong-tea-pan", [pan, stove, mouth, tea], anchors)


# -- (c) Đông Hồ woodblock: a carp gazing at the moon, carved in relief ---------------------

WOOD = Material("gỗ thị / persimmon wood", (0.62, 0.42, 0.24, 1.0), 0.0, 0.85)
BLOCK_W, BLOCK_D, BLOCK_BODY, RELIEF = 0.32, 0.24, 0.040, 0.005
GRID_X, GRID_Z = 80, 60  # 4 mm cells: fine enough for the lines, small enough for a phone
INK = (0.16, 0.14, 0.13)  # printing surfaces stay dark with old ink; carved-away wood does not


def carp_motif(a, b):
    """True where the print is black, in print coordinates a (right) and b (up), -1..1."""
    def ellipse(ca, cb, ra, rb):
        return ((a - ca) / ra) ** 2 + ((b - cb) / rb) ** 2

    body = ellipse(0.05, -0.05, 0.45, 0.26)
    if 0.72 < body <= 1.0:  # outline of the body
        return True
    if body <= 0.72 and math.hypot(a - 0.33, b - 0.0) < 0.055:  # the eye
        return True
    if body <= 0.6 and any(0.10 < math.hypot(a - ca, b + 0.05 - cb) < 0.16 for ca, cb in ((-0.2, 0.05), (0.0, 0.05), (-0.1, -0.17), (0.1, -0.17))):
        return True  # scale arcs
    tail = -0.78 < a < -0.36 and abs(b + 0.05) < (-0.36 - a) * 0.75
    fork = a < -0.62 and abs(b + 0.05) < (-0.62 - a) * 0.9
    if tail and not fork:
        return True
    if -0.15 < a < 0.2 and 0.15 < b < 0.21 + (0.2 - a) * 0.5:
        return body > 0.72  # dorsal fin above the body
    if abs(b - (-0.72 + 0.06 * math.sin(a * 9))) < 0.035 and abs(a) < 0.85:  # waves
        return True
    if 0.11 < math.hypot(a - 0.58, b - 0.58) < 0.17:  # the moon
        return True
    return 0.86 < max(abs(a) / 0.96, abs(b) / 0.94) <= 0.92  # the frame


def woodblock():
    dx, dz = BLOCK_W / GRID_X, BLOCK_D / GRID_Z

    def coverage(x, z):
        # 4x4 samples per cell soften the relief's walls into slopes instead of steps.
        hits = 0
        for sx in range(4):
            for sz in range(4):
                px = x + (sx - 1.5) / 4 * dx
                pz = z + (sz - 1.5) / 4 * dz
                # The block is carved mirror-wise so the print reads the right way round.
                hits += carp_motif(-px / (BLOCK_W / 2), -pz / (BLOCK_D / 2))
        return hits / 16

    heights = [
        [BLOCK_BODY + RELIEF * coverage(-BLOCK_W / 2 + i * dx, -BLOCK_D / 2 + j * dz) for j in range(GRID_Z + 1)]
        for i in range(GRID_X + 1)
    ]
    positions, normals, colors, indices = [], [], [], []
    for i in range(GRID_X + 1):
        for j in range(GRID_Z + 1):
            h = heights[i][j]
            slope_x = (heights[min(i + 1, GRID_X)][j] - heights[max(i - 1, 0)][j]) / (2 * dx)
            slope_z = (heights[i][min(j + 1, GRID_Z)] - heights[i][max(j - 1, 0)]) / (2 * dz)
            positions.append((-BLOCK_W / 2 + i * dx, h, -BLOCK_D / 2 + j * dz))
            normals.append(_normalize((-slope_x, 1.0, -slope_z)))
            t = (h - BLOCK_BODY) / RELIEF
            colors.append(tuple(1 + (ink - 1) * t for ink in INK))
    for i in range(GRID_X):
        for j in range(GRID_Z):
            a = i * (GRID_Z + 1) + j
            b, d = a + 1, a + GRID_Z + 1
            indices += (a, b, d + 1, a, d + 1, d)
    face = Primitive(WOOD, positions, normals, indices, colors)
    # The body under the carved face; the grid's edge lies at the body's height because
    # the frame stops short of the block's edge.
    body = box(WOOD, (-BLOCK_W / 2, 0.0, -BLOCK_D / 2), (BLOCK_W / 2, BLOCK_BODY, BLOCK_D / 2), skip=("+y",))
    body.colors = [(1.0, 1.0, 1.0)] * len(body.positions)

    def grid_anchor(x, z):
        i = round((x + BLOCK_W / 2) / dx)
        j = round((z + BLOCK_D / 2) / dz)
        k = i * (GRID_Z + 1) + j
        return positions[k], normals[k]

    # Print coordinates (a, b) -> block (x, z), mirrored as carved.
    def at(a, b):
        return grid_anchor(-a * BLOCK_W / 2, -b * BLOCK_D / 2)

    anchors = {
        "eye": at(0.33, 0.0),
        "moon": at(0.58, 0.72),
        "carved": at(-0.35, 0.45),
        "frame": at(0.0, 0.89 * 0.94),
        "side": ((0.0, BLOCK_BODY / 2, BLOCK_D / 2), (0.0, 0.0, 1.0)),
    }
    return Model("dong-ho-woodblock", [face, body], anchors)
