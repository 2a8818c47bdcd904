"""Poster images: a small software render of a model, shown before the GLB loads.

Orthographic, flat per triangle with smooth-normal shading, painter's algorithm (far
triangles first) with back faces culled, drawn by Pillow on a 2x canvas and reduced for
anti-aliasing. Crude beside a real renderer, but pure Python, fast and deterministic.
"""

import io
import math

from PIL import Image, ImageDraw

SIZE = 640
BACKGROUND = (244, 240, 232)
LIGHT = (-0.45, 0.75, 0.50)  # from the upper left, in front


def _rotate(v, yaw, pitch):
    x, y, z = v
    x, z = x * math.cos(yaw) + z * math.sin(yaw), -x * math.sin(yaw) + z * math.cos(yaw)
    y, z = y * math.cos(pitch) - z * math.sin(pitch), y * math.sin(pitch) + z * math.cos(pitch)
    return x, y, z


def render_png(model, yaw_deg=-25.0, pitch_deg=20.0, size=SIZE):
    """Render `model` seen from `yaw_deg` around Y and `pitch_deg` above; returns PNG bytes."""
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
            # Sorted by the nearest corner: with large and small faces side by side this
            # misorders less than the centroid does.
            triangles.append((max(a[2], b[2], c[2]), (a, b, c), colour))
    xs = [v[0] for _, tri, _ in triangles for v in tri]
    ys = [v[1] for _, tri, _ in triangles for v in tri]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    big = size * 2
    scale = big * 0.84 / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    image = Image.new("RGB", (big, big), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for _, tri, colour in sorted(triangles, key=lambda t: t[0]):
        draw.polygon([(big / 2 + (x - cx) * scale, big / 2 - (y - cy) * scale) for x, y, _ in tri], fill=colour)
    image = image.resize((size, size), Image.LANCZOS)
    # A 64-colour palette keeps the PNG small; shading has few distinct tones anyway.
    image = image.quantize(64, method=Image.MEDIANCUT, dither=Image.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _srgb(linear):
    """Material factors are linear; the PNG is sRGB."""
    linear = max(0.0, linear)
    return 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
