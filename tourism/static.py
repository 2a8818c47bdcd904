"""Static files with content-hashed URLs, so phones on a poor connection cache them for a year."""
import hashlib
from pathlib import Path

from pyramid.path import AssetResolver
from pyramid.static import QueryStringCacheBuster

ONE_YEAR = 365 * 24 * 3600
# The npm packages pages serve themselves, no CDN (`make setup` runs `npm ci` at the project root).
NODE_MODULES_SETTING = "tourism.node_modules"


def node_modules(settings) -> Path:
    return Path(settings.get(NODE_MODULES_SETTING) or Path(__file__).resolve().parents[1] / "node_modules")


class ContentHashCacheBuster(QueryStringCacheBuster):
    """Appends `?x=<hash of the file>`: a changed file gets a new URL, an unchanged one keeps it."""

    def __init__(self, param="x"):
        super().__init__(param=param)
        self._tokens: dict[str, str] = {}
        self._resolver = AssetResolver()

    def tokenize(self, request, subpath, kw):
        spec = kw.get("pathspec") or subpath
        token = self._tokens.get(spec)
        if token is None:
            path = self._resolver.resolve(spec).abspath() if ":" in spec else spec
            try:
                with open(path, "rb") as f:
                    token = hashlib.sha256(f.read()).hexdigest()[:12]
            except OSError:
                token = "0"
            self._tokens[spec] = token
        return token


def add_static(config, name: str, spec: str):
    """Serve `spec` under `/name/` with long-lived caching and content-hashed URLs."""
    config.add_static_view(name, spec, cache_max_age=ONE_YEAR)
    config.add_cache_buster(spec, ContentHashCacheBuster())


def includeme(config):
    config.add_directive("add_hashed_static", add_static)
    config.add_hashed_static("static", "tourism:static/")
