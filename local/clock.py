"""Simulated time for the local cloud.

Nothing in the local cloud sleeps: Wait states, retry back-offs and Lambda durations advance this clock
instead, and the Personalize emulator reads it to decide how far each resource has progressed.

Time is kept per thread ("lane") because moto runs every execution, Task, Map iteration and Parallel
branch on a thread of its own: two branches that each wait 60 s side by side must cost 60 simulated
seconds, not 120. The rules, wired into moto by ``local.patches``:

- a thread starts at the time of the thread that started it (``fork`` / ``adopt``);
- when a thread has waited for the threads it started (a Task, a Map, a Parallel), it resumes at the
  latest of their times (``joining``), or, if that wait ended in failure, at the earliest time one of
  them failed (``mark_failed``): a Map or Parallel fails when its first branch does;
- a Map item runs at the time its concurrency slot frees up, whichever thread moto runs it on
  (``running_at``);
- an execution is an independent timeline: it starts at its starter's time but never pulls the starter
  forward (``detached``); whoever observes its end moves on explicitly (``catch_up``), and so do the
  threads that started the observer (a CLI polling from a helper thread moves its main thread too);
- threads started inside ``grouped(key)`` (and the threads they start) form a group that ``hold(key, until)``
  stops at simulated time ``until``: a thread of the group that would move past it waits (real time) until
  the hold is raised or released. The scheduler engine (``local.scheduler``) holds a running execution at
  the next firing time, so an execution a firing starts sees that execution still RUNNING, as on AWS.

The clock starts at a fixed epoch so that the same run gives the same simulated timestamps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: 2026-01-05T09:00:00Z, a Monday morning: every run starts here.
DEFAULT_EPOCH = 1767603600.0


@dataclass(eq=False)
class Lane:
    """The simulated time of one thread, and the lanes of the threads it started and will wait for."""

    time: float
    children: list[Lane] = field(default_factory=list)
    #: When the work on this lane failed, if it did (see ``SimClock.mark_failed``).
    failed_at: float | None = None
    #: The lane of the thread that started this one, unless it was started ``detached``.
    parent: Lane | None = None
    #: The group the thread belongs to (``SimClock.grouped``), inherited by the threads it starts.
    group: object | None = None


class SimClock:
    """Per-thread simulated wall clock, in epoch seconds."""

    def __init__(self, epoch: float = DEFAULT_EPOCH) -> None:
        self.epoch = epoch
        self._lock = threading.RLock()
        self._local = threading.local()
        self._latest = epoch
        #: group -> the simulated time its threads may not pass (``hold``), and the groups that reached it.
        self._holds: dict[object, float] = {}
        self._reached: set[object] = set()
        self._changed = threading.Condition(self._lock)

    # -- reading and moving time ---------------------------------------------------------------------

    def now(self) -> float:
        """Simulated time of the calling thread."""
        with self._lock:
            return self._lane().time

    def advance(self, seconds: float) -> float:
        """Move the calling thread's time forward; returns the new time."""
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        with self._lock:
            lane = self._lane()
            self._set(lane, lane.time + seconds)
            return lane.time

    def advance_to(self, when: float) -> float:
        """Move the calling thread's time to ``when`` unless it is already later; returns the new time.

        For a thread that has observed something which ended at ``when`` (an execution it polled).
        """
        with self._lock:
            lane = self._lane()
            self._set(lane, max(lane.time, when))
            return lane.time

    def catch_up(self, when: float) -> float:
        """The calling thread has seen something that ended at ``when`` (an execution it polled): it and
        the threads that started it move to ``when`` unless already later. Returns the thread's time."""
        with self._lock:
            lane: Lane | None = self._lane()
            while lane is not None:
                self._set(lane, max(lane.time, when))
                lane = lane.parent
            return self._lane().time

    @property
    def latest(self) -> float:
        """The furthest simulated time any thread has reached: the run's end time."""
        with self._lock:
            return self._latest

    def elapsed(self) -> float:
        return self.latest - self.epoch

    # -- threads (used by local.patches) -------------------------------------------------------------

    def fork(self) -> Lane:
        """Called by a thread about to start another: the new thread's lane, starting now.

        Unless inside ``detached()``, the new lane is a child the caller will wait for in ``joining()``.
        """
        with self._lock:
            parent = self._lane()
            group = getattr(self._local, "group", None) or parent.group
            if getattr(self._local, "detached", 0):
                return Lane(parent.time, group=group)
            child = Lane(parent.time, parent=parent, group=group)
            parent.children.append(child)
            return child

    def adopt(self, lane: Lane) -> None:
        """Called first thing by a new thread: run on the lane its starter forked for it."""
        self._local.lane = lane

    @contextmanager
    def joining(self) -> Iterator[None]:
        """Around code that starts threads and waits for them: afterwards, resume at the latest of them,
        or, if the block raised, at the earliest failure one of them marked.

        Reading the children's times when the block ends (not when each thread ends) is deliberate:
        moto signals completion from inside the thread's target, before the thread itself exits.
        """
        with self._lock:
            lane = self._lane()
            mark = len(lane.children)
        try:
            yield
        except BaseException:
            self._join(lane, mark, failed=True)
            raise
        else:
            self._join(lane, mark, failed=False)

    def mark_failed(self) -> None:
        """The calling thread's work has failed, now: the thread joining it resumes at this time."""
        with self._lock:
            lane = self._lane()
            if lane.failed_at is None:
                lane.failed_at = lane.time

    @contextmanager
    def running_at(self, when: float) -> Iterator[None]:
        """Run the block on the calling thread as if it started at ``when`` (a thread pool reusing one
        thread for work that starts at other times); afterwards the thread is at the later of the two."""
        with self._lock:
            lane = self._lane()
            self._wait_for_hold(lane, when)
            before, lane.time = lane.time, when
        try:
            yield
        finally:
            with self._lock:
                self._set(lane, max(before, lane.time))

    @contextmanager
    def detached(self) -> Iterator[None]:
        """Around code that starts threads it never waits for (an execution): they do not join back."""
        self._local.detached = getattr(self._local, "detached", 0) + 1
        try:
            yield
        finally:
            self._local.detached -= 1

    # -- holding a group of threads at a simulated time (used by local.scheduler) -------------------

    @contextmanager
    def grouped(self, group: object) -> Iterator[None]:
        """Threads started by the calling thread inside the block, and the threads they start, are ``group``."""
        previous, self._local.group = getattr(self._local, "group", None), group
        try:
            yield
        finally:
            self._local.group = previous

    def group(self) -> object | None:
        """The group of the calling thread (``grouped``), if any."""
        with self._lock:
            return self._lane().group

    def hold(self, group: object, until: float) -> None:
        """From now on no thread of ``group`` moves past simulated time ``until`` (it waits instead); a
        later ``hold`` moves the limit, ``release`` lifts it."""
        with self._changed:
            self._holds[group] = until
            self._reached.discard(group)
            self._changed.notify_all()

    def release(self, group: object) -> None:
        with self._changed:
            self._holds.pop(group, None)
            self._reached.discard(group)
            self._changed.notify_all()

    def release_all(self) -> None:
        with self._changed:
            self._holds.clear()
            self._reached.clear()
            self._changed.notify_all()

    def reached(self, group: object) -> bool:
        """Whether a thread of ``group`` is waiting at its hold: the group's work goes on past that time."""
        with self._lock:
            return group in self._reached

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (real time) until ``predicate()`` holds, re-checked whenever a hold changes or is reached,
        and at least every 5 ms. The predicate runs without the clock's lock (it may call into moto, whose
        threads take the lock). False on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(min(remaining, 0.005))
        return True

    # -- internals -----------------------------------------------------------------------------------

    def _wait_for_hold(self, lane: Lane, value: float) -> None:
        """Called with the lock held: block while ``lane``'s group is held before ``value``."""
        while lane.group is not None and value > self._holds.get(lane.group, value):
            if lane.group not in self._reached:
                self._reached.add(lane.group)
                self._changed.notify_all()
            self._changed.wait()

    def _lane(self) -> Lane:
        lane: Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            # A thread the clock has not seen start (the main thread, a foreign thread) joins the run
            # where it currently is; the very first one therefore starts at the epoch.
            lane = self._local.lane = Lane(self._latest)
        return lane

    def _join(self, lane: Lane, mark: int, *, failed: bool) -> None:
        with self._lock:
            joined, lane.children[mark:] = lane.children[mark:], []
            failures = [child.failed_at for child in joined if child.failed_at is not None] if failed else []
            resume = min(failures) if failures else max((child.time for child in joined), default=lane.time)
            self._set(lane, max(lane.time, resume))

    def _set(self, lane: Lane, value: float) -> None:
        self._wait_for_hold(lane, value)
        lane.time = value
        self._latest = max(self._latest, value)
