"""set_num_threads governs NumPy's BLAS pool (through threadpoolctl), as torch's governs its
intra-op pool."""

import pytest
from threadpoolctl import threadpool_info

import gradiente
from gradiente.functions import settings


@pytest.fixture
def blas_threading():
    """BLAS runs the products' threads ("blas"), whatever "auto" chose after an earlier test's
    convolution; the setting restored after."""
    from gradiente import parallel

    before = parallel.gemm_threading_mode()
    settings.set_gemm_threading("blas")
    yield
    settings.set_gemm_threading(before)


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_set_num_threads_sets_the_blas_pool_and_get_reads_it(blas_threading):
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


def test_set_num_threads_also_sizes_gradientes_own_pool(blas_threading):
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


def test_a_forked_child_splits_work_on_threads_of_its_own():
    """The parent's pool has threads; a forked child has none of them and must not queue work
    on the parent's pool object (it would wait forever)."""
    import multiprocessing as mp

    from gradiente import parallel

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    before = gradiente.get_num_threads()
    try:
        gradiente.set_num_threads(4)
        parallel.run_chunks(lambda a, b: None, 8)  # the parent's pool now exists
        assert parallel._state["pool"] is not None
        ctx = mp.get_context("fork")
        with ctx.Pool(1) as pool:
            result = pool.apply_async(_split_sum_in_child)
            assert result.get(timeout=60) == sum(range(1000))
    finally:
        gradiente.set_num_threads(before)


def _split_sum_in_child():
    from gradiente import parallel

    parts = []
    parallel.run_chunks(lambda a, b: parts.append(sum(range(a, b))), 1000, grain=10)
    return sum(parts)


@pytest.mark.parametrize("variable", ["1", "99", "junk"])
def test_omp_num_threads_sets_the_default_as_torchs(variable):
    """torch's default thread count is OMP_NUM_THREADS, at most the cores; so is gradiente's
    own pool's (each read in a fresh interpreter with that environment)."""
    import os
    import subprocess
    import sys

    torch = pytest.importorskip("torch")
    del torch
    code = "import {lib}; from {lib} import get_num_threads; print(get_num_threads())"
    env = {**os.environ, "OMP_NUM_THREADS": variable, "OMP_WAIT_POLICY": "PASSIVE"}

    def threads(lib, extra=""):
        out = subprocess.run(
            [sys.executable, "-c", code.format(lib=lib) + extra],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.split()

    if variable == "junk":  # torch warns and uses the cores; so do we, silently
        own = threads(
            "gradiente", "; from gradiente import parallel; print(parallel.num_threads())"
        )
        assert int(own[1]) == len(os.sched_getaffinity(0))
        return
    ours = threads("gradiente", "; from gradiente import parallel; print(parallel.num_threads())")
    assert int(ours[1]) == int(threads("torch")[0])
