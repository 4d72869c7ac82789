"""Simulated time for the local cloud.

Nothing in the local cloud sleeps: Wait states and retry back-offs advance this clock instead, and the
Personalize emulator reads it to decide how far each resource has progressed. Time is kept per thread
because moto runs Map iterations and Parallel branches on threads of their own: two branches that each
wait 60 s side by side must cost 60 simulated seconds, not 120. A thread inherits the time of the thread
that started it; when a parent resumes after its children it takes the latest child time (see
``local.patches``).

The clock starts at a fixed epoch so that the same run gives the same simulated timestamps.
"""

from __future__ import annotations

import threading

#: 2026-01-05T09:00:00Z, a Monday morning: every run starts here.
DEFAULT_EPOCH = 1767603600.0


class SimClock:
    """Per-thread simulated wall clock, in epoch seconds."""

    def __init__(self, epoch: float = DEFAULT_EPOCH) -> None:
        self.epoch = epoch
        self._lock = threading.Lock()
        self._times: dict[int, float] = {}
        self._latest = epoch

    def now(self) -> float:
        """Simulated time of the calling thread."""
        with self._lock:
            return self._times.get(threading.get_ident(), self._latest if not self._times else self.epoch)

    def set_thread_time(self, ident: int, value: float) -> None:
        with self._lock:
            self._times[ident] = value
            self._latest = max(self._latest, value)

    def advance(self, seconds: float) -> float:
        """Move the calling thread's time forward; returns the new time."""
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        ident = threading.get_ident()
        with self._lock:
            value = self._times.get(ident, self.epoch) + seconds
            self._times[ident] = value
            self._latest = max(self._latest, value)
            return value

    @property
    def latest(self) -> float:
        """The furthest simulated time any thread has reached: the run's end time."""
        with self._lock:
            return self._latest

    def elapsed(self) -> float:
        return self.latest - self.epoch
