"""The few-seconds cache: answers expire, and the cache stays bounded."""
from tourism.cache import TTLCache


def test_entries_expire_after_their_time():
    clock = [100.0]
    cache = TTLCache(5, clock=lambda: clock[0])
    calls = []
    compute = lambda: calls.append(1) or len(calls)
    assert cache.get_or_set("k", compute) == 1
    clock[0] += 4.9
    assert cache.get_or_set("k", compute) == 1
    clock[0] += 0.2
    assert cache.get_or_set("k", compute) == 2


def test_zero_seconds_means_no_cache_and_size_is_bounded():
    uncached = TTLCache(0)
    assert uncached.get_or_set("k", object) is not uncached.get_or_set("k", object)
    cache = TTLCache(60, max_entries=3)
    for i in range(10):
        cache.get_or_set(i, lambda i=i: i)
    assert list(cache._entries) == [7, 8, 9]
