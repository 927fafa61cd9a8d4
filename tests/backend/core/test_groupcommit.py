"""Group commit: concurrent units of work stored together, yet each refused or failing one on its own."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.core.errors import InvalidInput
from backend.core.groupcommit import GroupCommit


@dataclass
class Item:
    n: int
    refuse: bool = False  # a DomainError before anything is written
    crash: bool = False  # a failure after the row was added: the whole transaction is poisoned
    hold: threading.Event | None = None  # the writer waits here, so the next items queue up


@dataclass
class Recorder:
    failed: list[int] = field(default_factory=list)

    def work(self, session: Session, item: Item) -> int:
        if item.hold is not None:
            item.hold.wait(10)
        if item.refuse:
            raise InvalidInput(f"item {item.n} refused")
        event = AuditEvent(action=f"test.item.{item.n}", details={}, actor_user_id=None)
        session.add(event)
        session.flush()
        if item.crash:
            raise RuntimeError(f"item {item.n} crashed")
        return event.id

    def on_failure(self, session: Session, item: Item) -> None:
        self.failed.append(item.n)


def _stored(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.item.%"))))


def _writer(recorder: Recorder) -> GroupCommit[Item, int]:
    return GroupCommit(recorder.work, on_failure=recorder.on_failure, name="test-group-commit")


def test_items_waiting_together_are_stored_in_one_transaction(session: Session) -> None:
    recorder = Recorder()
    writer = _writer(recorder)
    gate = threading.Event()
    first = writer.submit(Item(0, hold=gate))
    rest = [writer.submit(Item(n)) for n in range(1, 10)]
    gate.set()
    ids = [f.result(10) for f in [first, *rest]]
    assert len(set(ids)) == 10
    assert writer.items == 10
    assert writer.batches == 2  # the first alone (the writer was idle), then the nine that queued meanwhile
    assert _stored(session) == {f"test.item.{n}" for n in range(10)}
    assert recorder.failed == []


def test_a_refused_item_gets_its_error_and_the_others_are_stored(session: Session) -> None:
    recorder = Recorder()
    writer = _writer(recorder)
    gate = threading.Event()
    futures = [writer.submit(Item(0, hold=gate))]
    futures += [writer.submit(Item(n, refuse=n == 2)) for n in range(1, 4)]
    gate.set()
    with pytest.raises(InvalidInput, match="item 2 refused"):
        futures[2].result(10)
    assert all(f.result(10) for i, f in enumerate(futures) if i != 2)
    assert _stored(session) == {"test.item.0", "test.item.1", "test.item.3"}
    assert recorder.failed == [2]


def test_a_crashing_item_is_isolated_and_rolled_back(session: Session) -> None:
    recorder = Recorder()
    writer = _writer(recorder)
    gate = threading.Event()
    futures = [writer.submit(Item(0, hold=gate))]
    futures += [writer.submit(Item(n, crash=n == 5)) for n in range(1, 8)]
    gate.set()
    with pytest.raises(RuntimeError, match="item 5 crashed"):
        futures[5].result(10)
    assert [f.result(10) > 0 for i, f in enumerate(futures) if i != 5] == [True] * 7
    # The batch holding item 5 was rolled back and its items stored one by one: item 5's row is not there.
    assert _stored(session) == {f"test.item.{n}" for n in range(8) if n != 5}
    assert recorder.failed == [5]


def test_async_callers_await_the_commit(session: Session) -> None:
    writer = _writer(Recorder())

    async def main() -> list[int]:
        return list(await asyncio.gather(*(writer.run(Item(n)) for n in range(20))))

    ids = asyncio.run(main())
    assert len(set(ids)) == 20
    assert writer.items == 20
    assert writer.batches < 20
    assert len(_stored(session)) == 20
