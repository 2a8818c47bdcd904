"""schema.org descriptions of catalog pages (TouristTrip, TouristAttraction, Place, Offer)."""
from tourism.catalog.models import ExperienceKind

SCHEMA = "https://schema.org"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def place(village, name: str, url: str) -> dict:
    data = {
        "@type": "Place",
        "name": name,
        "url": url,
        "address": {"@type": "PostalAddress", "addressRegion": village.province, "addressCountry": "VN"},
    }
    if village.latitude is not None and village.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": village.latitude, "longitude": village.longitude}
    return data


def village_document(village, text, url: str, image_urls: list[str], experiences: list[dict]) -> dict:
    data = place(village, text.name, url)
    data.update({
        "@context": SCHEMA,
        "@type": ["TouristAttraction", "Place"],
        "description": text.summary,
        "image": image_urls,
        "touristType": "Craft village",
    })
    if experiences:
        data["subjectOf"] = experiences
    return data


def offers(experience, tier_names: dict[str, str], url: str) -> list[dict]:
    return [
        {
            "@type": "Offer",
            "name": tier_names[tier.code],
            "price": tier.price,
            "priceCurrency": experience.currency,
            "availability": "https://schema.org/InStock",
            "url": url,
        }
        for tier in experience.price_tiers
    ]


def experience_document(experience, text, village_name: str, url: str, village_url: str,
                        image_urls: list[str], tier_names: dict[str, str]) -> dict:
    """TouristTrip for tours and workshops; TouristAttraction with its offers for tickets."""
    where = place(experience.village, village_name, village_url)
    if experience.kind == ExperienceKind.ADMISSION:
        attraction = {
            "@type": "TouristAttraction",
            "@id": url + "#attraction",
            "name": text.title,
            "description": text.summary,
            "url": url,
            "image": image_urls,
            "address": where["address"],
            "containedInPlace": where,
            "availableLanguage": experience.language_codes,
            "isAccessibleForFree": False,
            "openingHoursSpecification": [
                {
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": f"https://schema.org/{DAYS[h.weekday]}",
                    "opens": h.opens.strftime("%H:%M"),
                    "closes": h.closes.strftime("%H:%M"),
                }
                for h in experience.opening_hours
            ],
        }
        ticket_offers = [dict(o, itemOffered={"@id": attraction["@id"]}) for o in offers(experience, tier_names, url)]
        return {"@context": SCHEMA, "@graph": [attraction, *ticket_offers]}
    return {
        "@context": SCHEMA,
        "@type": "TouristTrip",
        "name": text.title,
        "description": text.summary,
        "url": url,
        "image": image_urls,
        "itinerary": where,
        "touristType": experience.kind.value,
        "offers": offers(experience, tier_names, url),
    }


def item_list(urls: list[str]) -> dict:
    return {
        "@context": SCHEMA,
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "url": u} for i, u in enumerate(urls, start=1)
        ],
    }
