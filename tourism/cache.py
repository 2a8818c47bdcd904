"""A small in-process cache with a time to live, for answers that may be a few seconds old.

Each process keeps its own; nothing here is shared or must be invalidated, because the
entries simply expire. Bounded, so a crawler asking for every date range cannot grow it.
"""
import threading
import time
from collections import OrderedDict


class TTLCache:
    def __init__(self, seconds: float, max_entries: int = 2048, clock=time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_set(self, key, compute):
        """The cached value for `key`, or `compute()` stored for the next `seconds`."""
        if self.seconds <= 0:
            return compute()
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (now + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value
