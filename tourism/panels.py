"""Panels: an extension point for add-ons to show their own content on another package's
page (an audio guide on an experience page, a 3D model at an audio-guide stop) without the
page's owner knowing them.

An add-on registers a panel for a place at configuration time:

    config.add_panel("experience", panel)

and the page's view renders every panel of its place with `render_panels(request, place, obj)`.
A panel is `panel(request, obj) -> markup or None`: markup it has already escaped (a
`Markup`, usually a rendered template), or None (or "") when it has nothing to show for
this `obj`. Panels show in the order they were registered.

A place is a plain string agreed between the page and its panels; the known ones:

- "experience": obj is a catalog `Experience`; shown on the experience page, below its
  description (tourism/catalog/templates/experience.jinja2).
- "village": obj is a catalog `Village`; each panel is a section of its own on the village
  page, between the village's story and its experiences (tourism/catalog/templates/village.jinja2).
- "audio_stop": obj is an audio guides `Stop`; shown by audio_guides on the visitor's stop
  page (/g/<CODE>), after the transcript and before the list of all stops
  (audio_guides/templates/stop.jinja2). The page is read while listening, often on a poor
  connection: a panel there must stay light and never hold up the player.
"""
from markupsafe import Markup

REGISTRY_KEY = "tourism.panels"  # registry: {place: [panel, ...]}


def add_panel(config, place: str, panel) -> None:
    """Show `panel(request, obj)`'s markup wherever `place` is rendered (config.add_panel)."""
    config.registry[REGISTRY_KEY].setdefault(place, []).append(panel)


def render_panels(request, place: str, obj) -> list[Markup]:
    """The markup of `place`'s panels for `obj`, in order, leaving out those with nothing to show."""
    found = (panel(request, obj) for panel in request.registry[REGISTRY_KEY].get(place, ()))
    return [Markup(markup) for markup in found if markup]


def includeme(config):
    config.registry[REGISTRY_KEY] = {}
    config.add_directive("add_panel", add_panel)
