"""Locale negotiation helpers, content fallback and Babel formatting."""
from datetime import datetime, time, timezone

import pytest

from tourism.i18n import Formatter, localize, normalize_locale


@pytest.mark.parametrize("tag, expected", [
    ("ko", "ko"), ("ko-KR", "ko"), ("zh_Hant_TW", "zh"), ("FR", "fr"), ("de", None), ("", None), (None, None),
    ("x" * 100, None),
])
def test_normalize_locale(tag, expected):
    assert normalize_locale(tag) == expected


def test_localize_fallback_chain():
    assert localize({"vi": "a", "en": "b"}, "ko").locale == "en"
    assert localize({"vi": "a"}, "ko").locale == "vi"
    assert localize({"ja": "c"}, "ko").locale == "ja"  # anything beats nothing
    assert localize({}, "ko") is None


@pytest.mark.parametrize("locale, expected", [("vi", "350.000 ₫"), ("en", "₫350,000"), ("fr", "350 000 ₫")])
def test_money_has_no_decimals_for_vnd(locale, expected):
    assert Formatter(locale).money(350000, "VND").replace("\u202f", " ").replace("\xa0", " ") == expected


def test_datetimes_are_shown_in_the_village_time_zone():
    moment = datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc)  # 07:30 in Hà Nội
    assert "07:30" in Formatter("vi").datetime(moment, "Asia/Ho_Chi_Minh")
    assert "7:30" in Formatter("en").datetime(moment, "Asia/Ho_Chi_Minh")


def test_durations_weekdays_and_language_names():
    assert Formatter("ko").duration(150) == "2시간 30분"
    assert Formatter("vi").weekday(0) == "Thứ Hai"
    assert Formatter("ja").time(time(14, 0)) == "14:00"
    assert Formatter("fr").languages(["vi", "ko"]) == "vietnamien et coréen"


def test_only_pages_remember_the_language_choice(testapp):
    page = testapp.get("/", {"lang": "ko"})
    assert page.headers["Set-Cookie"].startswith("lang=ko;")
    testapp.reset()
    asset = testapp.get("/static/favicon.svg", {"lang": "ko"})
    assert "Set-Cookie" not in asset.headers
