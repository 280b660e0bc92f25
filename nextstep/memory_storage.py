"""The `memory://` rate-limit storage: limits' MemoryStorage with a moving window that
costs the same at any allowance, and an expiry timer started under a lock.

limits 5.8 keeps a key's moving window as a list, newest first: each hit inserts at the
front, moving every entry (O(n)), and the expiry timer copies the list 100 times a second.
At "100 per minute" that is nothing; at an allowance of a million a minute (a busy
integration key, or the benchmark) the window holds every request of the last minute
and each hit cost 0.4 ms at 180,000 entries (measured: see docs/benchmarks.md). Here
a window is a deque of hit times, oldest first, holding at most `limit` entries (only
the newest `limit` hits can decide anything): a hit appends, expired hits leave from
the left as each call passes. It admits and refuses exactly as the base class does,
hit for hit (a test replays random traffic through both).

Expired hits and counters of keys nobody uses any more are swept once a second by one
daemon thread per storage, instead of limits' timer: that is a new thread every 10 ms
while requests come, and each start waited for the new thread to run (a GIL hand-off):
629 starts in 1,000 in-process GETs of a run, 1.6 s of the 21 s profiled. Starting it
from the requests also raced in limits 5.8 ("threads can only be started once", a 500
at 32 threads; alisaifee/limits#352).
"""
import threading
import time
import weakref
from collections import deque

from limits.storage import MemoryStorage


class MovingWindowMemoryStorage(MemoryStorage):
    """`memory://` in NEXTSTEP_RATELIMIT_STORAGE_URI means this storage."""

    STORAGE_SCHEME = ["nextstep+memory"]

    def __init__(self, *args, **kwargs):
        self._timer_lock = threading.Lock()
        # One lock for every moving window, not the base class's lock per key: the sweep
        # dropped a key's lock while a hit could still be waiting on it, and the next hit
        # made a new one, so two hits could check one window at once. Each hold is a few
        # microseconds of deque work.
        self._windows_lock = threading.Lock()
        self._sweeper = None
        self.window_expiry = {}  # key -> seconds a hit counts (one limit per key)
        super().__init__(*args, **kwargs)

    def acquire_entry(self, key, limit, expiry, amount=1):
        """Admit `amount` hits unless the window already holds `limit - amount + 1` hits
        younger than `expiry` seconds (the base class's rule)."""
        if amount > limit:
            return False
        self._MemoryStorage__schedule_expiry()
        with self._windows_lock:
            now = time.time()
            hits = self._window(key, limit, expiry, now)
            deciding = limit - amount + 1  # the hit that would fall out of the allowance
            if len(hits) >= deciding and hits[-deciding] >= now - expiry:
                return False
            hits.extend([now] * amount)
            return True

    def get_moving_window(self, key, limit, expiry):
        """(time of the oldest hit in the window, hits in the window)."""
        with self._windows_lock:
            now = time.time()
            hits = self.events.get(key)
            if not hits:
                return now, 0
            self._drop_expired(hits, now - expiry)
            if not hits:
                self.events.pop(key, None)
                return now, 0
            return hits[0], len(hits)

    def _window(self, key, limit, expiry, now):
        hits = self.events.get(key)
        if hits is None or hits.maxlen != limit:
            hits = self.events[key] = deque(hits or (), maxlen=limit)
        self.window_expiry[key] = expiry
        self._drop_expired(hits, now - expiry)
        return hits

    @staticmethod
    def _drop_expired(hits, horizon):
        while hits and hits[0] < horizon:  # a hit at the horizon still counts
            hits.popleft()

    def _MemoryStorage__expire_events(self):  # the base class's timer callback, the sweep
        now = time.time()
        with self._windows_lock:
            for key, hits in list(self.events.items()):
                self._drop_expired(hits, now - self.window_expiry.get(key, 0))
                if not hits:
                    del self.events[key]
                    self.window_expiry.pop(key, None)
        for key in list(self.expirations):
            if self.expirations.get(key, now) <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)

    def _MemoryStorage__schedule_expiry(self):  # the base class's private hook
        if self._sweeper is None:
            with self._timer_lock:
                if self._sweeper is None:
                    self._sweeper = threading.Thread(
                        target=_sweep, args=(weakref.ref(self),), daemon=True,
                        name="nextstep-rate-limit-sweeper")
                    self._sweeper.start()

    def clear(self, key):
        with self._windows_lock:
            super().clear(key)
            self.window_expiry.pop(key, None)

    def reset(self):
        with self._windows_lock:
            self.window_expiry.clear()
            return super().reset()


def _sweep(storage_ref, every=1.0):
    """Sweep the storage once a second for as long as it exists."""
    while True:
        time.sleep(every)
        storage = storage_ref()
        if storage is None:
            return
        storage._MemoryStorage__expire_events()
        del storage
