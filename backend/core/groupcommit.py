"""Group commit: many small units of work from concurrent requests stored in one transaction.

Each request does its expensive part (parsing, hashing, writing blobs) in its own thread, then hands a
small write to a `GroupCommit`. One writer thread per process takes everything waiting, runs each item's
``work`` in one session and commits once, so a burst of N uploads costs one commit instead of N, and
threads never queue on the database's write lock (SQLite's busy handler sleeps in steps of milliseconds
while the lock is held; PostgreSQL's row locks on a shared key row). Items stay independent:

- an item whose ``work`` raises a ``DomainError`` (checked before it writes anything) gets that error and
  the others are stored;
- any other failure rolls the batch back and retries each item in a transaction of its own, so one bad
  item cannot sink the rest;
- ``on_failure(session, item)`` runs for every item that ends without being stored (to remove its blobs).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from backend.core.db import session_scope
from backend.core.errors import DomainError

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        work: Callable[[Session, T], R],
        *,
        on_failure: Callable[[Session, T], None] | None = None,
        max_batch: int = 64,
        name: str = "group-commit",
    ) -> None:
        self._work = work
        self._on_failure = on_failure
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0  # how many transactions stored how many items: figures for tests and benchmarks
        self.items = 0

    def submit(self, item: T) -> Future[R]:
        """Queue ``item``; the future gets ``work``'s result once its transaction committed."""
        future: Future[R] = Future()
        self._queue.put((item, future))
        self._ensure_thread()
        return future

    async def run(self, item: T) -> R:
        """``submit`` for async callers: awaits the commit without holding a thread."""
        return await asyncio.wrap_future(self.submit(item))

    def _ensure_thread(self) -> None:
        # Started lazily, after any fork (uvicorn workers, Celery), and again if it ever died.
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(batch)
            except BaseException as exc:  # the writer must outlive any failure; callers get the error
                log.exception("group commit failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)

    def _store(self, batch: list[tuple[T, Future[R]]]) -> None:
        if len(batch) == 1:
            self._store_one(*batch[0])
            return
        results: list[tuple[Future[R], R]] = []
        refused: list[tuple[T, Future[R], DomainError]] = []
        try:
            with session_scope() as session:
                for item, future in batch:
                    try:
                        results.append((future, self._work(session, item)))
                    except DomainError as exc:
                        refused.append((item, future, exc))
        except Exception:
            for item, future in batch:  # the others are stored, the failing item gets its own error
                self._store_one(item, future)
            return
        self.batches += 1
        self.items += len(results)
        for future, result in results:
            future.set_result(result)
        for item, future, exc in refused:
            self._cleanup(item)
            future.set_exception(exc)

    def _store_one(self, item: T, future: Future[R]) -> None:
        try:
            with session_scope() as session:
                result = self._work(session, item)
        except BaseException as exc:
            self._cleanup(item)
            future.set_exception(exc)
            return
        self.batches += 1
        self.items += 1
        future.set_result(result)

    def _cleanup(self, item: T) -> None:
        if self._on_failure is None:
            return
        try:
            with session_scope() as session:
                self._on_failure(session, item)
        except Exception:
            log.exception("cleaning up after an item that was not stored")
