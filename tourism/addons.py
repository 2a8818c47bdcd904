"""Add-ons: packages that build on tourism (audio guides, 3D heritage) without tourism
naming them. An add-on declares itself in its distribution's entry points:

    [options.entry_points]
    tourism.addons =
        audio_guides = audio_guides

Installed add-ons are included in the app (their `includeme`), their models join the
metadata, and their `migrations/` folder joins alembic's version locations — so the
dependency runs one way only: add-on → tourism.
"""
import importlib
from importlib.metadata import entry_points
from pathlib import Path

GROUP = "tourism.addons"


def installed_addons() -> list[str]:
    """The add-ons' module names, in a stable order."""
    return sorted({entry.value for entry in entry_points(group=GROUP)})


def import_models() -> None:
    """Import each add-on's models (if it has any), so their tables are on the metadata."""
    for name in installed_addons():
        try:
            importlib.import_module(f"{name}.models")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.models":
                raise


def migration_locations() -> list[str]:
    """Alembic version locations of the add-ons that ship migrations."""
    locations = []
    for name in installed_addons():
        folder = Path(importlib.import_module(name).__file__).parent / "migrations"
        if folder.is_dir():
            locations.append(f"{name}:migrations")
    return locations


def demo_loaders() -> list:
    """Each add-on's `demo.load(dbsession, settings) -> report`, if it has demo data."""
    loaders = []
    for name in installed_addons():
        try:
            module = importlib.import_module(f"{name}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.demo":
                raise
            continue
        loaders.append(module.load)
    return loaders
