"""schema.org description of a product page: a Product with its Offer."""
SCHEMA = "https://schema.org"


def product_document(product, text, *, url: str, image_urls: list[str], unit_name: str,
                     award: str | None) -> dict:
    """`text` is the product's text in the page's language; `unit_name` and `award` are
    already translated ("box", "OCOP 4 stars")."""
    data = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": text.name,
        "description": text.description,
        "url": url,
        "image": image_urls,
        "sku": product.slug,
        "brand": {"@type": "Brand", "name": product.producer},
        "manufacturer": {"@type": "Organization", "name": product.producer},
        "countryOfOrigin": {"@type": "Country", "name": "VN"},
        "offers": {
            "@type": "Offer",
            "price": product.price,
            "priceCurrency": product.currency,
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": product.price,
                "priceCurrency": product.currency,
                "unitText": unit_name,
            },
            "availability": f"{SCHEMA}/{'InStock' if product.stock > 0 else 'OutOfStock'}",
            "url": url,
        },
    }
    if award:
        data["award"] = award
    return data
