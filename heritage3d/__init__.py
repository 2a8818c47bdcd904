"""3D heritage: glTF (GLB) models of the villages' heritage, annotated in every language.

An add-on of `tourism` (declared in setup.cfg's `tourism.addons` entry points), like
audio_guides: it uses tourism's catalog, media store, i18n and templates; tourism never
imports it, and it never imports audio_guides (stops are linked by their public code).

The viewer is Google's <model-viewer> (npm), served by us with the decoders it may need, so
pages work in a village without Internet access and in the offline tests.
"""
import base64
import hashlib
import json
import logging
import re

from pyramid.exceptions import ConfigurationError

from tourism.static import node_modules

log = logging.getLogger(__name__)

VIEWER_KEY = "heritage3d.viewer"  # registry: the vendor paths of the viewer, or None without it


def _style_blocks(source: str) -> list[str]:
    """The CSP hashes (base64 SHA-256) of the <style> elements a script's templates contain."""
    return [base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
            for css in re.findall(r"<style>(.*?)</style>", source, re.S)]


def _serve_viewer(config, is_production: bool) -> None:
    """/vendor/model-viewer-<v>/ and /vendor/three-<v>/: the viewer and its decoders.

    The version is in the URL because the decoders are fetched by model-viewer itself (no
    cache-busting query), and files are cached for a year.
    """
    modules = node_modules(config.get_settings())
    viewer_dir = modules / "@google" / "model-viewer"
    three_dir = modules / "three"
    if not (viewer_dir / "dist" / "model-viewer.min.js").is_file() or not (three_dir / "package.json").is_file():
        if is_production:
            raise ConfigurationError(f"The 3D viewer is missing from {modules}: run `npm ci` at the project root.")
        log.warning("3D pages without the 3D viewer: %s is missing (run `make setup`)", viewer_dir)
        config.registry[VIEWER_KEY] = None
        return
    viewer_version = json.loads((viewer_dir / "package.json").read_text())["version"]
    three_version = json.loads((three_dir / "package.json").read_text())["version"]
    viewer_name, three_name = f"vendor/model-viewer-{viewer_version}", f"vendor/three-{three_version}"
    config.add_hashed_static(viewer_name, str(viewer_dir / "dist"))
    config.add_hashed_static(three_name, str(three_dir / "examples" / "jsm" / "libs"))
    script = viewer_dir / "dist" / "model-viewer.min.js"
    # The meshopt decoder is bundled in model-viewer; Draco and Basis are fetched on demand.
    config.registry[VIEWER_KEY] = {
        "script": str(script),
        "script_bytes": script.stat().st_size,
        "draco": f"/{three_name}/draco/gltf/",
        "ktx2": f"/{three_name}/basis/",
    }
    # The element's shadow DOM carries one <style> block: allowed by its hash, computed from
    # the file we serve, so the CSP still refuses every other inline style.
    for block in _style_blocks(script.read_text(encoding="utf-8")):
        config.add_csp_source("style-src", f"'sha256-{block}'")
    # GLTFLoader reads a GLB's embedded textures through blob: URLs; the Draco and Basis
    # decoders are WebAssembly run in blob: workers.
    config.add_csp_source("img-src", "blob:")
    config.add_csp_source("connect-src", "blob:")
    config.add_csp_source("connect-src", "data:")
    config.add_csp_source("worker-src", "'self'")
    config.add_csp_source("worker-src", "blob:")
    config.add_csp_source("script-src", "'wasm-unsafe-eval'")


def includeme(config):
    from heritage3d import models  # noqa: F401  (registers the tables)
    from tourism.settings import is_production

    # Our own translation domain: `_` in Python (heritage3d.i18n), `h3_` in templates.
    config.add_template_translators("h3_", "heritage3d")
    _serve_viewer(config, is_production(config.get_settings()))
    config.include(".views")  # the asset page, the village gallery, experience and stop panels
    config.include(".console_views")  # the operator's tools: upload, texts, licence, hotspots, views
