"""Poster images: a small software render of a model, shown before the GLB loads.

Orthographic, flat per triangle with smooth-normal shading, back faces culled, rasterized
with a depth buffer on a 2x canvas and reduced by Pillow for anti-aliasing. Crude beside a
real renderer, but pure Python, deterministic and a second or two per model.
"""

import io
import math

from PIL import Image

SIZE = 640
BACKGROUND = (244, 240, 232)
LIGHT = (-0.45, 0.75, 0.50)  # from the upper left, in front


def _rotate(v, yaw, pitch):
    x, y, z = v
    x, z = x * math.cos(yaw) + z * math.sin(yaw), -x * math.sin(yaw) + z * math.cos(yaw)
    y, z = y * math.cos(pitch) - z * math.sin(pitch), y * math.sin(pitch) + z * math.cos(pitch)
    return x, y, z


def render_poster(model, yaw_deg=-25.0, pitch_deg=20.0, size=SIZE):
    """Render `model` seen from `yaw_deg` around Y and `pitch_deg` above; returns WebP bytes."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    light = [c / math.sqrt(sum(k * k for k in LIGHT)) for c in LIGHT]
    triangles = []
    for p in model.primitives:
        base = p.material.rgba[:3]
        pos = [_rotate(v, yaw, pitch) for v in p.positions]
        nor = [_rotate(n, yaw, pitch) for n in p.normals]
        for t in range(0, len(p.indices), 3):
            i, j, k = p.indices[t : t + 3]
            a, b, c = pos[i], pos[j], pos[k]
            # Back faces (counter-clockwise seen from behind) are skipped.
            if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) <= 0:
                continue
            n = [(nor[i][m] + nor[j][m] + nor[k][m]) for m in range(3)]
            length = math.sqrt(sum(x * x for x in n)) or 1.0
            lambert = max(0.0, sum(n[m] / length * light[m] for m in range(3)))
            shade = 0.35 + 0.75 * lambert
            rgb = base
            if p.colors is not None:
                rgb = [base[m] * (p.colors[i][m] + p.colors[j][m] + p.colors[k][m]) / 3 for m in range(3)]
            colour = tuple(min(255, round(255 * _srgb(ch * shade))) for ch in rgb)
            triangles.append(((a, b, c), colour))
    xs = [v[0] for tri, _ in triangles for v in tri]
    ys = [v[1] for tri, _ in triangles for v in tri]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    big = size * 2
    scale = big * 0.84 / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    screen = [([(big / 2 + (x - cx) * scale, big / 2 - (y - cy) * scale, z) for x, y, z in tri], colour)
              for tri, colour in triangles]
    image = Image.frombytes("RGB", (big, big), bytes(_rasterize(screen, big)))
    image = image.resize((size, size), Image.LANCZOS)
    # WebP at quality 85: a third to a fifth of the PNG's bytes, with no visible loss here.
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85, method=6)
    return out.getvalue()


def _rasterize(triangles, size: int) -> bytearray:
    """RGB pixels of `triangles` ([(x, y, z) ×3], colour) with a depth buffer: the nearest
    surface wins at every pixel (larger z is nearer), so a layer lying on another surface (the
    tea in its pan) is never cut by the surface beneath, as it was with the painter's order."""
    pixels = bytearray(bytes(BACKGROUND) * (size * size))
    depth = [-math.inf] * (size * size)
    for corners, colour in triangles:
        (x0, y0, z0), (x1, y1, z1), (x2, y2, z2) = corners
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if abs(area) < 1e-12:
            continue
        # The triangle's plane: z = z0 + dzdx (x - x0) + dzdy (y - y0).
        dzdx = ((z1 - z0) * (y2 - y0) - (z2 - z0) * (y1 - y0)) / area
        dzdy = ((z2 - z0) * (x1 - x0) - (z1 - z0) * (x2 - x0)) / area
        rgb = bytes(colour)
        edges = ((x0, y0, x1, y1), (x1, y1, x2, y2), (x2, y2, x0, y0))
        top = max(0, math.ceil(min(y0, y1, y2) - 0.5))
        bottom = min(size - 1, math.floor(max(y0, y1, y2) - 0.5))
        for row in range(top, bottom + 1):
            y = row + 0.5  # pixel centres
            crossings = [ax + (y - ay) * (bx - ax) / (by - ay)
                         for ax, ay, bx, by in edges if (ay <= y < by) or (by <= y < ay)]
            if len(crossings) < 2:
                continue
            left = max(0, math.ceil(min(crossings) - 0.5))
            right = min(size - 1, math.floor(max(crossings) - 0.5))
            z = z0 + dzdx * (left + 0.5 - x0) + dzdy * (y - y0)
            offset = row * size
            for column in range(left, right + 1):
                index = offset + column
                if z > depth[index]:
                    depth[index] = z
                    pixels[3 * index:3 * index + 3] = rgb
                z += dzdx
    return pixels


def _srgb(linear):
    """Material factors are linear; the image is sRGB."""
    linear = max(0.0, linear)
    return 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
