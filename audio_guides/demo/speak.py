"""Speak the demo tours' scripts (tours.toml) into small MP3s in audio/.

    python -m audio_guides.demo.speak [--force] [--only GLOB]

espeak-ng synthesises each script (Debian: espeak-ng), lame encodes it as mono MP3 at
22.05 kHz and 24 kbit/s (Debian: lame): speech quality, a few kB per second, and a format
every browser plays. Both tools are deterministic, so the same script gives the same
bytes, hence the same media key. audio/manifest.toml records which script each file was
spoken from; the demo loader refuses a file whose script has changed since.

Vietnamese names inside English scripts are spoken with the Vietnamese voice, and a few
written forms get a spoken spelling ("OCOP" → "Ô Xê Ô Pê"); see [speech] in tours.toml.
"""
import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from audio_guides.demo.data import (
    AUDIO_DIR,
    DEMO_FILE,
    Speech,
    audio_filename,
    read,
    read_manifest,
    script_sha256,
    write_manifest,
)

SAMPLE_RATE_KHZ = "22.05"
BITRATE_KBPS = 24
TOOLS = ("espeak-ng", "lame")


@dataclass(frozen=True)
class Voice:
    name: str  # an espeak-ng voice
    words_per_minute: int
    amplitude: int  # espeak-ng's -a (default 100): the Vietnamese voice is louder and peaks at full scale


# Unhurried, for listeners outdoors and in a second language.
VOICES = {
    "vi": Voice("vi", 145, 70),
    "en": Voice("en-us", 155, 90),
    "ko": Voice("ko", 155, 90),
}
NAME_VOICE = VOICES["vi"].name  # the voice of vietnamese_terms in other languages' scripts


class ToolMissing(RuntimeError):
    """espeak-ng or lame is not installed."""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def require_tools() -> None:
    missing = missing_tools()
    if missing:
        raise ToolMissing(f"{' and '.join(missing)} not found: apt-get install {' '.join(missing)}")


def settings_label(locale: str) -> str:
    """The synthesis settings, recorded in the manifest: a change re-speaks the file."""
    voice = VOICES[locale]
    return (f"espeak-ng -v {voice.name} -s {voice.words_per_minute} -a {voice.amplitude}"
            f" | lame -m m --resample {SAMPLE_RATE_KHZ} -b {BITRATE_KBPS}")


def ssml(script: str, locale: str, speech: Speech) -> str:
    """The script as espeak-ng SSML: spoken spellings applied, Vietnamese names in the
    Vietnamese voice. Every run of text names its voice: espeak-ng would otherwise keep the
    inner voice after a closing </voice> until the sentence ends."""
    voice = VOICES[locale].name
    say = speech.say.get(locale, {})
    names = [] if voice == NAME_VOICE else speech.vietnamese_terms
    terms = sorted({*say, *names}, key=len, reverse=True)
    parts = []

    def add(text, part_voice):
        if text:
            parts.append(f'<voice name="{part_voice}">{escape(text)}</voice>')

    position = 0
    if terms:
        pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")
        for match in pattern.finditer(script):
            add(script[position:match.start()], voice)
            term = match.group(1)
            if term in say:
                add(say[term], voice)
            else:
                add(term, NAME_VOICE)
            position = match.end()
    add(script[position:], voice)
    return "<speak>" + "".join(parts) + "</speak>"


def speak(script: str, locale: str, target: Path, speech: Speech | None = None) -> Path:
    """Speak `script` in `locale`'s voice into the MP3 file `target`.

    Raises ToolMissing without espeak-ng or lame, KeyError for a locale without a voice,
    subprocess.CalledProcessError when a tool fails.
    """
    require_tools()
    voice = VOICES[locale]
    speech = speech or Speech([], {})
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-m", "-v", voice.name, "-s", str(voice.words_per_minute),
                        "-a", str(voice.amplitude), "-w", str(wav), ssml(script, locale, speech)],
                       check=True, capture_output=True)
        mp3 = Path(tmp) / "speech.mp3"
        subprocess.run(["lame", "--quiet", "-m", "m", "--resample", SAMPLE_RATE_KHZ, "-b", str(BITRATE_KBPS),
                        "-q", "2", str(wav), str(mp3)], check=True, capture_output=True)
        shutil.move(mp3, target)
    return target


def main(argv=None, *, demo_file: Path = DEMO_FILE, audio_dir: Path = AUDIO_DIR) -> int:
    parser = argparse.ArgumentParser(prog="python -m audio_guides.demo.speak", description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="speak every file again, even if up to date")
    parser.add_argument("--only", metavar="GLOB", help="only files matching GLOB, e.g. 'tan-cuong-*-ko.mp3'")
    args = parser.parse_args(argv)
    try:
        require_tools()
    except ToolMissing as error:
        print(error, file=sys.stderr)
        return 2

    demo = read(demo_file)
    unvoiced = sorted({locale for _, _, locale, _ in demo.recordings()} - set(VOICES))
    if unvoiced:
        print(f"no voice for {', '.join(unvoiced)}: add one to VOICES in audio_guides/demo/speak.py", file=sys.stderr)
        return 2
    old = read_manifest(audio_dir)
    manifest, spoken = {}, 0
    for tour, stop, locale, script in demo.recordings():
        name = audio_filename(tour.slug, stop.code, locale)
        # What was shown (the script) and what was spoken (with the [speech] rules) and how.
        entry = {"script_sha256": script_sha256(script),
                 "spoken_sha256": script_sha256(ssml(script, locale, demo.speech)),
                 "settings": settings_label(locale)}
        wanted = not args.only or fnmatch.fnmatch(name, args.only)
        if wanted and (args.force or old.get(name) != entry or not (audio_dir / name).is_file()):
            speak(script, locale, audio_dir / name, demo.speech)
            spoken += 1
            print(f"spoke {name}")
        elif name in old:
            entry = old[name]  # not re-spoken: keep what the file really is
        else:
            continue
        manifest[name] = entry
    removed = 0
    if not args.only:
        for path in audio_dir.glob("*.mp3"):
            if path.name not in manifest:
                path.unlink()
                removed += 1
                print(f"removed {path.name}")
    write_manifest(manifest, audio_dir)
    total = sum((audio_dir / name).stat().st_size for name in manifest if (audio_dir / name).is_file())
    print(f"{spoken} spoken, {len(manifest) - spoken} up to date, {removed} removed; "
          f"{len(manifest)} files, {total / 1024:.0f} KiB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
