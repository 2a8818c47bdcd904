"""The media store: a file's key is its content's hash, keys cannot name a path outside the
store, and the app's store is the folder `tourism.media_dir` names."""
import hashlib
from pathlib import Path

import pytest

from tourism.media import MEDIA_DIR_SETTING, MediaStore, media_store, media_store_for_settings


def stored(store: MediaStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


def test_the_same_bytes_are_stored_once_under_their_hash(tmp_path):
    store = MediaStore(tmp_path)
    key = store.put(b"glTF model bytes", "glb")
    assert key == hashlib.sha256(b"glTF model bytes").hexdigest() + ".glb"
    assert store.put(b"glTF model bytes", "glb") == key
    assert stored(store) == [tmp_path / key[:2] / key]
    assert store.path(key).read_bytes() == b"glTF model bytes" and store.exists(key)
    assert store.put(b"other bytes", "glb") != key


@pytest.mark.parametrize("extension", ["", "x", "toolong", "MP3", "p/g", "../x"])
def test_a_bad_extension_is_refused(tmp_path, extension):
    store = MediaStore(tmp_path)
    with pytest.raises(ValueError):
        store.put(b"data", extension)
    assert stored(store) == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "0" * 64, "0" * 63 + ".mp3", "A" * 64 + ".mp3",
                                 "0" * 64 + ".mp3/..", "0" * 64 + ".mp3\n"])
def test_a_malformed_key_names_no_file(tmp_path, key):
    store = MediaStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(key)
    assert not store.exists(key)


def test_the_app_store_is_in_the_media_dir_setting(app, app_settings):
    assert media_store(app.registry).root == Path(app_settings[MEDIA_DIR_SETTING])
    assert MEDIA_DIR_SETTING == "tourism.media_dir"


def test_without_the_setting_media_go_to_var_media(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert media_store_for_settings({}).root == tmp_path / "var" / "media"
