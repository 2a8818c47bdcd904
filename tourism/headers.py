"""Security headers on every response, set in one place.

The Content-Security-Policy allows no inline script: pages load scripts from our own
origin only. Add-ons that need more (a 3D viewer's blob: workers, say) extend it at
configuration time with `config.add_csp_source(directive, source)`.
"""
from tourism.settings import flag

DEFAULT_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSP_REGISTRY_KEY = "tourism.csp"


def render_csp(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


def static_security_headers(settings) -> dict[str, str]:
    """The headers every response carries besides the CSP (also used by WSGI fast paths)."""
    headers = {
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), payment=(self)",
    }
    if flag(settings, "tourism.hsts"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def security_headers_tween_factory(handler, registry):
    static_headers = static_security_headers(registry.settings)

    def security_headers_tween(request):
        response = handler(request)
        csp = render_csp(registry[CSP_REGISTRY_KEY])
        response.headers.setdefault("Content-Security-Policy", csp)
        for name, value in static_headers.items():
            response.headers.setdefault(name, value)
        return response

    return security_headers_tween


def add_csp_source(config, directive: str, source: str):
    policy = config.registry[CSP_REGISTRY_KEY]
    sources = policy.setdefault(directive, [])
    if source not in sources:
        sources.append(source)


def includeme(config):
    config.registry[CSP_REGISTRY_KEY] = {k: list(v) for k, v in DEFAULT_CSP.items()}
    config.add_directive("add_csp_source", add_csp_source)
    config.add_tween("tourism.headers.security_headers_tween_factory")
