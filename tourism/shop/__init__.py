"""Shop: the villages' products, their stock, batches (traceability) and store links."""


from pyramid.exceptions import ConfigurationError


def includeme(config):
    # The flat fee per delivery of products bought with a booking (checkout.shipping_fee):
    # a typo must stop the start, not charge guests a wrong amount.
    from tourism.shop.checkout import shipping_fee

    try:
        shipping_fee(config.get_settings())
    except ValueError as error:
        raise ConfigurationError(f"tourism.shop.shipping_fee must be a whole number of dong, 0 or more: {error}")
    config.add_route("shop.product", "/products/{slug}")
    # What a batch's packaging QR code opens: short, because it is printed on a small label.
    config.add_route("shop.trace", "/t/{code}")
    # The products on the catalog's pages, through its extension point (tourism/panels.py).
    from tourism.shop.views import experience_panel, village_panel

    config.add_panel("experience", experience_panel)
    config.add_panel("village", village_panel)
    config.scan(".views")
    config.include(".labels")  # the console's printable QR label sheets for a batch
    config.include(".delivery_views")  # the console's deliveries to send, and "Mark sent"
    config.include(".batch_console")  # the operator's batch tools: add, edit, delete a product's batches
    config.include(".console_views")  # the operator's products: stock, details, stores, experiences, pictures
