"""Jobs that arrive together are handled together, each answered with its own result."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from balie.core.group_commit import GroupCommit


def test_jobs_arriving_while_a_batch_runs_go_together_as_the_next_one():
    batches: list[list[int]] = []
    first_started = threading.Event()

    def handle(jobs: list[int]) -> list[int]:
        batches.append(jobs)
        if jobs == [1]:
            first_started.set()
            time.sleep(0.3)  # the first batch is being filed while the others arrive
        return [job * 10 for job in jobs]

    commit = GroupCommit(handle)
    with ThreadPoolExecutor(max_workers=5) as pool:  # one thread per request, as under ASGI
        first = pool.submit(commit.submit, 1)
        first_started.wait(5)
        others = [pool.submit(commit.submit, job) for job in (2, 3, 4, 5)]
        time.sleep(0.1)
        results = [first.result(5), *(other.result(5) for other in others)]

    assert results == [10, 20, 30, 40, 50]  # each its own answer
    assert batches[0] == [1]
    assert sorted(batches[1]) == [2, 3, 4, 5]  # the others together, in one batch
    assert len(batches) == 2


def test_a_job_alone_is_handled_at_once_in_its_own_thread():
    threads: list[str] = []

    def handle(jobs: list[str]) -> list[str]:
        threads.append(threading.current_thread().name)
        return [job.upper() for job in jobs]

    assert GroupCommit(handle).submit("a") == "A"
    assert threads == [threading.current_thread().name]


def test_a_job_that_fails_on_its_own_fails_alone_and_a_failing_batch_fails_all_of_it():
    def handle(jobs: list[int]) -> list[object]:
        if 99 in jobs:
            raise RuntimeError("the batch broke")
        return [ValueError(f"bad {job}") if job < 0 else job for job in jobs]

    commit = GroupCommit(handle)
    assert commit.submit(1) == 1
    with pytest.raises(ValueError, match="bad -2"):
        commit.submit(-2)
    with pytest.raises(RuntimeError, match="the batch broke"):
        commit.submit(99)
    assert commit.submit(3) == 3  # nothing stays stuck after a failure


def test_a_batch_takes_at_most_max_batch_jobs():
    sizes: list[int] = []
    gate = threading.Event()

    def handle(jobs: list[int]) -> list[int]:
        sizes.append(len(jobs))
        gate.wait(5)  # the first batch holds until every job has arrived
        return jobs

    commit = GroupCommit(handle, max_batch=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(commit.submit, 0)]
        while not sizes:
            time.sleep(0.01)
        futures += [pool.submit(commit.submit, job) for job in range(1, 6)]
        time.sleep(0.2)
        gate.set()
        assert sorted(f.result(5) for f in futures) == list(range(6))
    assert sizes == [1, 2, 2, 1]


@pytest.mark.parametrize(("linger", "all_four"), [(0.05, True), (0.0, False)])
def test_four_busy_clients_are_handled_four_at_a_time(linger, all_four):
    """Four clients that each send their next job once answered: with a moment's wait for the
    clients the last batch saw, every batch holds all four (without it, one and three by
    turns)."""
    sizes: list[int] = []

    def handle(jobs: list[int]) -> list[int]:
        sizes.append(len(jobs))
        time.sleep(0.02)
        return jobs

    commit = GroupCommit(handle, linger=linger)

    def client(n: int) -> None:
        for _ in range(8):
            commit.submit(n)
            time.sleep(0.002)  # reading the answer, sending the next request

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(client, n) for n in range(4)]:
            future.result(10)

    assert sum(sizes) == 32
    assert (sizes[2:-2] == [4] * len(sizes[2:-2])) is all_four, sizes
