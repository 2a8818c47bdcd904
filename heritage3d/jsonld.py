"""schema.org `3DModel` for an asset's page (https://schema.org/3DModel)."""
from tourism.catalog.jsonld import SCHEMA

GLB_MEDIA_TYPE = "model/gltf-binary"


def _metres(value: float | None) -> dict | None:
    # UN/CEFACT unit code MTR: metre.
    return None if value is None else {"@type": "QuantitativeValue", "value": value, "unitCode": "MTR"}


def model_document(v: dict, locale: str) -> dict:
    """`v` is views.viewer_values(): what the page itself shows, so the two never disagree."""
    asset = v["asset"]
    data = {
        "@context": SCHEMA,
        "@type": "3DModel",
        "name": v["title"],
        "url": v["url"],
        "inLanguage": v["text"].locale if v["text"] else locale,
        "image": v["poster_url"],
        "encoding": [{
            "@type": "MediaObject",
            "contentUrl": v["model_url"],
            "encodingFormat": GLB_MEDIA_TYPE,
            "contentSize": str(asset.size_bytes),
        }],
        "contentLocation": {"@type": "Place", "name": v["village_name"], "url": v["village_url"]},
        "isResizable": False,  # AR places it at its real size
        "creditText": asset.attribution or None,
        "creator": {"@type": "Organization", "name": asset.creator} if asset.creator else None,
        "license": v["licence_url"],
        "width": _metres(asset.width_m),
        "height": _metres(asset.height_m),
        "depth": _metres(asset.depth_m),
    }
    if v["text"] and v["text"].value.description:
        data["description"] = v["text"].value.description
    return {key: value for key, value in data.items() if value is not None}
