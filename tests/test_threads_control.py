"""set_num_threads governs NumPy's BLAS pool (through threadpoolctl), as torch's governs its
intra-op pool."""

import pytest
from threadpoolctl import threadpool_info

import gradiente


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_set_num_threads_sets_the_blas_pool_and_get_reads_it():
    before = gradiente.get_num_threads()
    try:
        gradiente.set_num_threads(1)
        assert gradiente.get_num_threads() == 1
        assert _blas_threads() and set(_blas_threads()) == {1}
        gradiente.set_num_threads(2)
        assert gradiente.get_num_threads() == 2
        assert set(_blas_threads()) == {2}
    finally:
        gradiente.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_set_num_threads_refuses_what_torch_refuses(bad):
    with pytest.raises((RuntimeError, TypeError)):
        gradiente.set_num_threads(bad)


def test_set_num_threads_also_sizes_gradientes_own_pool():
    from gradiente import parallel

    before = gradiente.get_num_threads()
    try:
        gradiente.set_num_threads(4)
        assert parallel.num_threads() == 4
        seen = []
        parallel.run_chunks(lambda a, b: seen.append((a, b)), 10)
        assert sorted(seen) == [(0, 3), (3, 6), (6, 8), (8, 10)]  # one contiguous run a thread
        gradiente.set_num_threads(2)  # below MIN_THREADS_TO_SPLIT: one run
        seen.clear()
        parallel.run_chunks(lambda a, b: seen.append((a, b)), 10)
        assert seen == [(0, 10)]
        gradiente.set_num_threads(1)
        seen.clear()
        parallel.run_chunks(lambda a, b: seen.append((a, b)), 10)
        assert seen == [(0, 10)]
    finally:
        gradiente.set_num_threads(before)


def test_chunked_work_raises_what_a_chunk_raises():
    from gradiente import parallel

    def work(a, b):
        if a > 0:
            raise ValueError(f"chunk {a}")

    before = parallel._state["threads"]
    try:
        parallel.set_threads(4)
        with pytest.raises(ValueError, match="chunk"):
            parallel.run_chunks(work, 4)
    finally:
        parallel.set_threads(before)


def test_info_reports_blas_and_own_threads(capsys):
    from gradiente.cli import main

    main(["info"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("threads"))
    assert "gradiente's own pool" in line and "CPU cores" in line
