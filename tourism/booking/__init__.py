"""Booking: holds, bookings, manage-my-booking, and the availability calendar."""


def includeme(config):
    from tourism.booking import models  # noqa: F401
    from tourism.booking.services import expire_holds_task
    from tourism.cache import TTLCache

    seconds = float(config.get_settings().get("tourism.availability_cache_seconds", 5))
    config.registry["booking.availability_cache"] = TTLCache(seconds)

    config.add_route("booking.start", "/book/{session_id}")
    config.add_route("booking.manage", "/booking/{token}")
    config.add_route("booking.pay", "/booking/{token}/pay")
    config.add_route("booking.cancel", "/booking/{token}/cancel")
    config.add_route("booking.move", "/booking/{token}/move")
    config.add_route("booking.calendar", "/booking/{token}/calendar.ics")
    config.add_route("booking.availability_json", "/api/experiences/{slug}/availability")
    config.scan(".views")
    config.scan(".emails")
    config.include(".session_views")  # the console's session page: cancel or move all its bookings at once
    config.include(".console_views")  # the console's bookings: list, search, one booking, taken by hand
    # Holds also stop counting the moment they expire; this frees their seats for good.
    config.add_worker_task("booking.expire_holds", expire_holds_task, interval=30)
