"""The switch concurrency tests use for their negative control.

A guarded operation (seats taken by a conditional UPDATE, admissions under a row lock)
checks `guard.enabled`; a test switches it off, with a pause between check and write, to
show that the race the guard prevents really happens.
"""
import time


class RaceGuard:
    def __init__(self):
        self.enabled = True
        self.pause_seconds = 0.0

    def pause(self) -> None:
        """Widen the window between a check and its write (negative control only)."""
        if self.pause_seconds:
            time.sleep(self.pause_seconds)
