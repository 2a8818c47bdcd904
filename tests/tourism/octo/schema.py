"""Our OCTO responses against the official specification: `conforms(method, path, response)`.

The specification is OCTO's own `openapi.yaml`, shipped in the npm package `@octocloud/types`
(pinned in package.json, installed by `make setup`), loaded once with Schemathesis. Paths
are the specification's templates, with or without their trailing slash ("/supplier",
"/products/{id}", "/bookings/{uuid}/confirm"); our URLs are `/octo` + that path.

`conforms` checks, with Schemathesis's own checks, that the status is one the operation
documents, that the body is JSON and valid against the schema documented for that status
(200 or 400), and that the response has the headers the specification requires
(Octo-Capabilities); then what the specification requires only once a capability is in
use (its `x-capability-data`): fields such as a product's `title` under octo/content or a
booking's `pricing` under octo/pricing, and the Content-Language and Available-Languages
headers under octo/content. The capabilities in use are those the response's
Octo-Capabilities header names. Every error is a 400, as the specification lists them.
"""
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import requests
import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[3]
SPEC_PATH = ROOT / "node_modules" / "@octocloud" / "types" / "src" / "openapi.yaml"
API_PREFIX = "/octo"
CHECKS = (status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance)


@cache
def spec():
    """The official specification, loaded once (Schemathesis's OpenAPI schema)."""
    if not SPEC_PATH.is_file():
        raise RuntimeError(f"{SPEC_PATH} is missing: `make setup` installs it (npm ci, @octocloud/types)")
    config = schemathesis.Config.from_dict({})  # not a schemathesis.toml found on the way
    return schemathesis.openapi.from_path(SPEC_PATH, config=config)


def spec_path(path: str) -> str:
    """The specification's own spelling of `path` ("/supplier" → "/supplier/")."""
    paths = spec().raw_schema["paths"]
    for candidate in (path, path.rstrip("/") + "/", path.rstrip("/")):
        if candidate in paths:
            return candidate
    raise AssertionError(f"{path} is not a path of the OCTO specification: {sorted(paths)}")


def operation(method: str, path: str):
    """The specification's operation (a schemathesis APIOperation) for `method` and `path`."""
    found = spec_path(path)
    methods = spec().raw_schema["paths"][found]
    if method.lower() not in methods:
        raise AssertionError(f"{method.upper()} {found} is not an operation of the OCTO specification")
    return spec()[found][method.upper()]


def as_schemathesis_response(response) -> schemathesis.Response:
    """A WebTest response (or Schemathesis's own) as Schemathesis reads one."""
    if isinstance(response, schemathesis.Response):
        return response
    headers: dict[str, list[str]] = {}
    for name, value in response.headerlist:
        headers.setdefault(name.lower(), []).append(value)
    request = response.request
    prepared = requests.Request(request.method, request.url, headers=dict(request.headers),
                                data=request.body or None).prepare()
    return schemathesis.Response(status_code=response.status_int, headers=headers, content=response.body,
                                 request=prepared, elapsed=0.0, verify=True, encoding=response.charset)


def path_parameters(template: str, path_url: str) -> dict[str, str]:
    """The values of the template's {names} in the path the request asked for ("x" when it does not fit)."""
    names = re.findall(r"{(\w+)}", template)
    pattern = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
                      for part in re.split(r"({\w+})", template.rstrip("/")))
    found = re.search(pattern + "/?(?:[?#]|$)", unquote(path_url))
    return {name: found[name] if found else "x" for name in names}


def problems(method: str, path: str, response) -> list[str]:
    """Everything in `response` that the specification's operation does not allow (empty when none)."""
    op = operation(method, path)
    response = as_schemathesis_response(response)
    found: list[str] = []
    try:
        op.Case(path_parameters=path_parameters(op.path, response.request.path_url)).validate_response(
            response, checks=list(CHECKS))
    except FailureGroup as group:
        for failure in group.exceptions:
            found.append(f"[{failure.code}] {failure.title}: {failure.message}")
    if response.status_code == 200:
        found.extend(capability_problems(op, response))
    return found


def conforms(method: str, path: str, response):
    """Assert that `response` (WebTest's) to `method` on `/octo` + `path` conforms to the
    official specification; returns the response."""
    __tracebackhide__ = True
    found = problems(method, path, response)
    if found:
        checked = as_schemathesis_response(response)
        raise AssertionError(
            f"{method.upper()} {API_PREFIX}{spec_path(path)}: response {checked.status_code} does not conform "
            f"to the OCTO specification:\n" + "\n".join(found)
            + f"\n\nResponse body: {checked.content.decode('utf-8', 'replace')[:3000]}")
    return response


def _header(response: schemathesis.Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


# --- what a capability in use requires (x-capability-data) -----------------------------------

def _resolve(schema: dict) -> dict:
    raw = spec().raw_schema
    while isinstance(schema, dict) and "$ref" in schema:
        node = raw
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _required_by(node: dict, capabilities: set[str]) -> bool:
    data = node.get("x-capability-data") if isinstance(node, dict) else None
    return bool(data and data.get("required") and data.get("capability") in capabilities)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "scalar"


def _walk(schema, value, capabilities: set[str], where: str, found: list[str]) -> None:
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return
    for part in schema.get("allOf", []):
        _walk(part, value, capabilities, where, found)
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key, []):  # each alternative of the value's kind
            resolved = _resolve(part)
            kind = resolved.get("type") if isinstance(resolved, dict) else None
            if kind in (None, _kind(value)) or (kind in ("string", "number", "integer") and _kind(value) == "scalar"):
                _walk(resolved, value, capabilities, where, found)
    if isinstance(value, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if name in value:
                _walk(prop, value[name], capabilities, f"{where}.{name}", found)
            elif _required_by(prop, capabilities) or _required_by(_resolve(prop), capabilities):
                capability = (prop.get("x-capability-data") or _resolve(prop).get("x-capability-data"))["capability"]
                found.append(f"{where}.{name} is missing: the specification requires it with {capability}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _walk(schema["items"], item, capabilities, f"{where}[{index}]", found)


def capability_problems(op, response: schemathesis.Response) -> list[str]:
    """Fields and headers the specification requires once a capability is in use (a 200 response)."""
    capabilities = {part.strip() for part in (_header(response, "Octo-Capabilities") or "").split(",") if part.strip()}
    if not capabilities:
        return []
    definition = _resolve(op.definition.raw["responses"]["200"])
    found = []
    for name, header in (definition.get("headers") or {}).items():
        if _required_by(header, capabilities) and _header(response, name) is None:
            found.append(f"the {name} header is missing: the specification requires it with "
                         f"{header['x-capability-data']['capability']}")
    content = (definition.get("content") or {}).get("application/json")
    if content is not None:
        try:
            body = json.loads(response.content)
        except ValueError:
            return found  # the schema check has said so
        _walk(content["schema"], body, capabilities, "$", found)
    return found
