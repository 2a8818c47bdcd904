"""Demo audio tours for the demo catalog: Bát Tràng (pottery) and Tân Cương (tea).

`load()` brings the tours in tours.toml, their stops, texts, images and tracks into the
database, and the committed recordings (audio/, spoken by `speak.py`) into the media store.
Like the catalog's demo it is idempotent: rows are matched by tour slug, stop code and
locale and updated in place, so a second run changes nothing.
"""
from dataclasses import dataclass
from pathlib import Path

from mutagen.mp3 import MP3
from sqlalchemy import select

from audio_guides.demo.data import (
    AUDIO_DIR,
    DEMO_FILE,
    DemoDataError,
    DemoStop,
    DemoTour,
    audio_filename,
    read,
    read_manifest,
    script_sha256,
    transcript_html,
)
from audio_guides.models import Stop, StopImage, StopText, Tour, TourText, Track
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.media import MediaStore, media_store_for_settings

__all__ = ["DemoDataError", "LoadReport", "load"]

CONTENT_TYPE = "audio/mpeg"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    tours: int = 0
    stops: int = 0
    tracks: int = 0

    def __str__(self):
        return (f"Audio tours: {self.tours} tours, {self.stops} stops, {self.tracks} tracks "
                f"({self.created} rows created, {self.updated} updated, {self.deleted} deleted).")


class _Loader:
    def __init__(self, dbsession, store: MediaStore, audio_dir: Path):
        self.dbsession = dbsession
        self.store = store
        self.audio_dir = audio_dir
        self.manifest = read_manifest(audio_dir)
        self.links_created = 0
        self.deleted = 0

    @staticmethod
    def assign(row, values: dict):
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)

    def sync(self, collection: list, wanted: dict, key, make):
        """Make `collection` hold exactly the rows in `wanted` (key → field values), in place."""
        existing = {key(row): row for row in collection}
        for k, values in wanted.items():
            row = existing.pop(k, None)
            if row is None:
                row = make()
                collection.append(row)
            self.assign(row, values)
        for row in existing.values():
            collection.remove(row)
            self.dbsession.delete(row)
            self.deleted += 1

    def track(self, tour: DemoTour, stop: DemoStop, locale: str, script: str) -> dict:
        name = audio_filename(tour.slug, stop.code, locale)
        path = self.audio_dir / name
        if not path.is_file():
            raise DemoDataError(f"no recording {name}: run `python -m audio_guides.demo.speak`")
        if self.manifest.get(name, {}).get("script_sha256") != script_sha256(script):
            # The transcript is the script: audio spoken from another text would contradict it.
            raise DemoDataError(f"{name} was spoken from another script: run `python -m audio_guides.demo.speak`")
        data = path.read_bytes()
        return {
            "locale": locale,
            "audio_key": self.store.put(data, "mp3"),
            "content_type": CONTENT_TYPE,
            "size_bytes": len(data),
            "duration_seconds": MP3(path).info.length,
            "transcript_html": transcript_html(script),
        }

    def stop(self, tour_row: Tour, tour: DemoTour, position: int, stop: DemoStop) -> dict:
        existing = self.dbsession.scalar(select(Stop).where(Stop.code == stop.code))
        if existing is not None and existing.tour is not tour_row:
            raise DemoDataError(f"stop code {stop.code} belongs to another tour ({existing.tour.slug})")
        return {"code": stop.code, "position": position, "keypad_number": stop.keypad,
                "latitude": stop.latitude, "longitude": stop.longitude}

    def stop_children(self, row: Stop, tour: DemoTour, stop: DemoStop):
        self.sync(row.texts, {locale: {"locale": locale, **fields} for locale, fields in stop.texts.items()},
                  lambda r: r.locale, StopText)
        self.sync(row.images, {i: {"position": i, "path": image.path, "width": image.width,
                                   "height": image.height, "alt": image.alt}
                               for i, image in enumerate(stop.images)},
                  lambda r: r.position, StopImage)
        self.sync(row.tracks, {locale: self.track(tour, stop, locale, script)
                               for locale, script in stop.scripts.items()},
                  lambda r: r.locale, Track)

    def tour(self, tour: DemoTour) -> Tour:
        where = f"tour {tour.slug!r}"
        village = self.dbsession.scalar(select(Village).where(Village.slug == tour.village))
        if village is None:
            raise DemoDataError(f"{where}: no village {tour.village!r} (load the catalog's demo first)")
        experiences = {e.slug: e for e in self.dbsession.scalars(
            select(Experience).where(Experience.slug.in_(tour.experiences)))}
        for slug in tour.experiences:
            if slug not in experiences:
                raise DemoDataError(f"{where}: no experience {slug!r}")
            if experiences[slug].village_id != village.id:
                raise DemoDataError(f"{where}: experience {slug!r} is in another village")

        row = self.dbsession.scalar(select(Tour).where(Tour.slug == tour.slug))
        if row is None:
            row = Tour(slug=tour.slug)
            self.dbsession.add(row)
        self.assign(row, {"village": village, "status": PublicationStatus(tour.status)})
        # Links are rows too (audio_tour_experiences): count them as created and deleted.
        linked, wanted = set(row.experiences), set(experiences.values())
        if linked != wanted:
            row.experiences = sorted(wanted, key=lambda experience: experience.id)
            self.links_created += len(wanted - linked)
            self.deleted += len(linked - wanted)
        self.sync(row.texts, {locale: {"locale": locale, **fields} for locale, fields in tour.texts.items()},
                  lambda r: r.locale, TourText)
        self.sync(row.stops, {stop.code: self.stop(row, tour, i, stop) for i, stop in enumerate(tour.stops)},
                  lambda r: r.code, Stop)
        stops = {stop.code: stop for stop in row.stops}
        for stop in tour.stops:
            self.stop_children(stops[stop.code], tour, stop)
        return row


def load(dbsession, settings, path: Path = DEMO_FILE, audio_dir: Path = AUDIO_DIR) -> LoadReport:
    """Bring the demo tours in line with tours.toml and its recordings; returns what changed.

    Needs the catalog's demo villages and experiences. Writes the recordings to the media
    store of `settings` (same bytes, same key: nothing is stored twice). Raises
    DemoDataError (the caller then commits nothing) for an invalid file, a missing
    village or experience, or a recording that is missing or older than its script.
    """
    demo = read(path)
    loader = _Loader(dbsession, media_store_for_settings(settings), audio_dir)
    report = LoadReport()
    with dbsession.no_autoflush:
        for tour in demo.tours:
            loader.tour(tour)
            report.tours += 1
            report.stops += len(tour.stops)
            report.tracks += sum(len(stop.scripts) for stop in tour.stops)
        report.created = len(dbsession.new) + loader.links_created
        report.deleted = loader.deleted
        # Rows whose own columns changed (a changed collection is counted by its rows).
        report.updated = sum(1 for row in dbsession.dirty if row not in dbsession.deleted
                             and dbsession.is_modified(row, include_collections=False))
    dbsession.flush()
    return report
