"""The ``--nproc`` launcher names the rank that vanished first, and only when it can be sure.

``_first_to_vanish`` watches the ranks' pid files; these tests drive it with a stand-in for
``mpiexec`` and scripted process states, so that the races of a real job (MPICH kills the other
ranks a few milliseconds after one dies) are played out exactly, with no MPI needed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradiente.train import distributed


class _StandInMpiexec:
    """``poll()`` says "running" ``polls`` times, then "ended"."""

    def __init__(self, polls: int = 50) -> None:
        self.polls = polls

    def poll(self):
        self.polls -= 1
        return None if self.polls >= 0 else 1


def _write_pids(job_dir, pids: dict[int, int]) -> None:
    for rank, pid in pids.items():
        (job_dir / f"rank-{rank}.pid").write_text(str(pid))


def _script_alive(monkeypatch, answers: dict[int, list[bool]]) -> None:
    """``_alive(pid)`` answers from ``answers[pid]`` in turn, repeating the last answer."""
    calls: dict[int, int] = {}

    def alive(pid: int) -> bool:
        n = calls.get(pid, 0)
        calls[pid] = n + 1
        return answers[pid][min(n, len(answers[pid]) - 1)]

    monkeypatch.setattr(distributed, "_alive", alive)


def test_the_one_rank_gone_while_the_others_live_is_named(tmp_path, monkeypatch):
    _write_pids(tmp_path, {0: 1000, 1: 1001})
    _script_alive(monkeypatch, {1000: [True], 1001: [True, True, False]})
    assert distributed._first_to_vanish(_StandInMpiexec(), tmp_path, 2, poll=0) == (1, 1001)


def test_a_rank_seen_gone_is_not_named_if_another_is_gone_when_checked_again(tmp_path, monkeypatch):
    """Rank 0 looked alive, then rank 1 looked gone; but by the time rank 0 is checked again
    it is gone too, so the order of the two deaths is unknown: nobody is named."""
    _write_pids(tmp_path, {0: 1000, 1: 1001})
    _script_alive(monkeypatch, {1000: [True, False], 1001: [False]})
    assert distributed._first_to_vanish(_StandInMpiexec(), tmp_path, 2, poll=0) is None


def test_no_rank_is_named_while_another_rank_pid_is_unknown(tmp_path, monkeypatch):
    """Rank 1 never wrote its pid (it may have died first, or be slow): rank 0 gone is not
    enough to name rank 0."""
    _write_pids(tmp_path, {0: 1000})
    _script_alive(monkeypatch, {1000: [False]})
    assert distributed._first_to_vanish(_StandInMpiexec(), tmp_path, 2, poll=0) is None


def test_ranks_gone_together_are_not_named(tmp_path, monkeypatch):
    _write_pids(tmp_path, {0: 1000, 1: 1001})
    _script_alive(monkeypatch, {1000: [False], 1001: [False]})
    assert distributed._first_to_vanish(_StandInMpiexec(), tmp_path, 2, poll=0) is None


@pytest.mark.parametrize("rank", [0, 1])
def test_a_rank_that_finished_normally_is_not_named(tmp_path, monkeypatch, rank):
    _write_pids(tmp_path, {0: 1000, 1: 1001})
    (tmp_path / f"rank-{rank}.done").touch()
    _script_alive(monkeypatch, {1000 + rank: [False], 1001 - rank: [True]})
    assert distributed._first_to_vanish(_StandInMpiexec(polls=5), tmp_path, 2, poll=0) is None


def test_a_real_dead_process_is_not_alive(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not distributed._alive(child.pid)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert distributed._alive(live.pid)
    finally:
        live.kill()
        live.wait()
