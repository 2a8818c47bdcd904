"""Regenerate the demo models: `python -m heritage3d.demo.generate`.

Writes models/<slug>.glb, models/<slug>.webp (poster) and models/assets.json (assets.toml
with each hotspot's anchor resolved to a position and normal, plus triangle counts and
file sizes). The output is deterministic; the tests compare it with the committed files.
"""

import json
import tomllib
from pathlib import Path

from . import models
from .poster import render_poster

HERE = Path(__file__).parent
OUTPUT = HERE / "models"

BUILDERS = {
    "chu-dau-vase": models.chu_dau_vase,
    "tan-cuong-tea-pan": models.tea_roasting_pan,
    "dong-ho-woodblock": models.woodblock,
}
# Poster viewpoints (yaw, pitch in degrees): the pan and the block are seen from higher up.
VIEWPOINTS = {"tan-cuong-tea-pan": (-25.0, 35.0), "dong-ho-woodblock": (0.0, 60.0)}


def load_assets():
    with open(HERE / "assets.toml", "rb") as f:
        return tomllib.load(f)["assets"]


def build_all():
    """Return {file name: bytes} for every generated file."""
    files, manifest = {}, []
    for asset in load_assets():
        model = BUILDERS[asset["slug"]]()
        glb = model.glb()
        files[f"{asset['slug']}.glb"] = glb
        files[f"{asset['slug']}.webp"] = render_poster(model, *VIEWPOINTS.get(asset["slug"], (-25.0, 20.0)), size=asset["poster"]["width"])
        resolved = dict(asset, model=f"{asset['slug']}.glb", poster=dict(asset["poster"], path=f"{asset['slug']}.webp"))
        resolved["triangles"] = model.triangle_count
        resolved["bytes"] = len(glb)
        resolved["hotspots"] = []
        for hotspot in asset["hotspots"]:
            position, normal = model.anchors[hotspot["anchor"]]
            resolved["hotspots"].append(
                dict(hotspot, position=[round(c, 5) for c in position], normal=[round(c, 4) for c in normal])
            )
        manifest.append(resolved)
    text = json.dumps({"assets": manifest}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    files["assets.json"] = text.encode("utf-8")
    return files


def main():
    OUTPUT.mkdir(exist_ok=True)
    for name, data in build_all().items():
        (OUTPUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
