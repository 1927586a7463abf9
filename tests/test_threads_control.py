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
