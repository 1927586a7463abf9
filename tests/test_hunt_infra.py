"""Hunt findings in training-infrastructure code (optimizers, schedulers, data loading,
distributions, nn.utils, checkpoints), each checked against the real torch."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente

torch = pytest.importorskip("torch")


def _error(fn, exc_type):
    """The message of the ``exc_type`` that ``fn()`` raises."""
    with pytest.raises(exc_type) as info:
        fn()
    return str(info.value)


def test_optimizer_given_one_parameter_names_its_tensor_type():
    """torch.typename of a Parameter is its tensor type (torch.FloatTensor), not its class."""
    ours = _error(
        lambda: gradiente.optim.SGD(gradiente.nn.Parameter(gradiente.zeros(2)), lr=0.1), TypeError
    )
    theirs = _error(lambda: torch.optim.SGD(torch.nn.Parameter(torch.zeros(2)), lr=0.1), TypeError)
    assert ours == theirs


def test_vector_to_parameters_names_a_non_tensor_as_torch_typename():
    """The TypeError names the module of a non-builtin type (numpy.ndarray), as torch's."""
    import numpy as np

    vec = np.zeros(2)
    ours = _error(
        lambda: gradiente.nn.utils.vector_to_parameters(vec, [gradiente.zeros(2)]), TypeError
    )
    theirs = _error(lambda: torch.nn.utils.vector_to_parameters(vec, [torch.zeros(2)]), TypeError)
    assert ours == theirs == "expected torch.Tensor, but got: numpy.ndarray"


def test_parameters_to_vector_views_a_transposed_tensor_as_torch_does():
    """A non-contiguous transposed view cannot be flattened by view(-1): torch raises."""
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.parameters_to_vector([torch.randn(2, 3).t()])
    with pytest.raises(RuntimeError) as ours:
        gradiente.nn.utils.parameters_to_vector([gradiente.randn(2, 3).t()])
    assert str(ours.value) == str(theirs.value)


def _first_and_last_lines(module, exc, **loader_kwargs):
    """Type, first and last line of what iterating a 4-sample loader whose item 3 raises
    ``exc`` gives (the middle holds file paths, which differ)."""

    class Bad(module.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 3:
                raise exc
            return i

    with pytest.raises(Exception) as info:
        list(module.utils.data.DataLoader(Bad(), batch_size=1, **loader_kwargs))
    lines = str(info.value).splitlines()
    return type(info.value), lines[0], lines[-1]


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyError("k"), IndexError("i")])
def test_an_error_in_a_loader_worker_is_reraised_as_torch_does(exc):
    """torch re-raises a worker's exception with 'Caught X in DataLoader worker process w.'
    and the original traceback; without workers the exception comes unchanged."""
    theirs = _first_and_last_lines(torch, exc, num_workers=2)
    ours = _first_and_last_lines(gradiente, exc, num_workers=2)
    assert ours[1:] == theirs[1:]
    assert ours[0].__name__ == theirs[0].__name__
    assert _first_and_last_lines(gradiente, exc)[1] == str(exc)


@pytest.mark.parametrize("diag", [0, -1, 1, 2, -2])
def test_tril_matrix_to_vec_and_back_match_torch(diag):
    """torch.distributions.utils.tril_matrix_to_vec / vec_to_tril_matrix (public there)."""
    from torch.distributions import utils as tdu

    from gradiente.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix

    values = torch.arange(18.0).reshape(2, 3, 3)
    theirs = tdu.tril_matrix_to_vec(values, diag)
    ours = tril_matrix_to_vec(gradiente.tensor(values.numpy()), diag)
    assert ours.tolist() == theirs.tolist()
    assert vec_to_tril_matrix(ours, diag).tolist() == tdu.vec_to_tril_matrix(theirs, diag).tolist()


def test_tril_matrix_to_vec_errors_and_gradient_match_torch():
    from torch.distributions import utils as tdu

    from gradiente.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix

    ours = _error(lambda: tril_matrix_to_vec(gradiente.ones(3, 3), 3), ValueError)
    assert ours == _error(lambda: tdu.tril_matrix_to_vec(torch.ones(3, 3), 3), ValueError)
    ours = _error(lambda: vec_to_tril_matrix(gradiente.ones(5)), ValueError)
    assert ours == _error(lambda: tdu.vec_to_tril_matrix(torch.ones(5)), ValueError)
    w = gradiente.ones(6, requires_grad=True)
    vec_to_tril_matrix(w * 2).sum().backward()
    assert w.grad.tolist() == [2.0] * 6


def _roundtrip(module, obj, tmp_path, weights_only):
    path = tmp_path / f"{module.__name__}.pt"
    module.save(obj, path)
    return module.load(path, weights_only=weights_only)


def test_save_keeps_numpy_arrays_of_strings_and_objects(tmp_path):
    """torch.save pickles any NumPy array; gradiente.save refused those of dtype object/str."""
    import numpy as np

    obj = {"names": np.array(["a", None], dtype=object), "labels": np.array(["x", "yz"])}
    ours = _roundtrip(gradiente, obj, tmp_path, weights_only=False)
    theirs = _roundtrip(torch, obj, tmp_path, weights_only=False)
    for key in obj:
        assert ours[key].dtype == theirs[key].dtype
        assert ours[key].tolist() == theirs[key].tolist()


def test_save_keeps_the_type_of_sizes_and_dict_subclasses(tmp_path):
    """A torch.Size and a Counter come back as such (they came back as tuple and dict)."""
    import collections

    obj = {"size": (2, 3), "counts": collections.Counter("aab")}
    ours = _roundtrip(
        gradiente, {**obj, "size": gradiente.Size([2, 3])}, tmp_path, weights_only=True
    )
    theirs = _roundtrip(torch, {**obj, "size": torch.Size([2, 3])}, tmp_path, weights_only=True)
    assert type(ours["size"]) is gradiente.Size and type(theirs["size"]) is torch.Size
    assert tuple(ours["size"]) == tuple(theirs["size"])
    assert type(ours["counts"]) is type(theirs["counts"]) is collections.Counter
    assert ours["counts"] == theirs["counts"]


def test_weights_only_load_allows_what_torch_allows(tmp_path):
    """torch's weights-only unpickler allows dtypes, devices, complex numbers, bytearrays."""
    obj = {"complex": 1 + 2j, "bytes": bytearray(b"ab")}
    ours = _roundtrip(
        gradiente,
        {**obj, "dtype": gradiente.float16, "device": gradiente.device("cpu")},
        tmp_path,
        weights_only=True,
    )
    theirs = _roundtrip(
        torch, {**obj, "dtype": torch.float16, "device": torch.device("cpu")}, tmp_path, True
    )
    assert ours["complex"] == theirs["complex"] and ours["bytes"] == theirs["bytes"]
    assert ours["dtype"] is gradiente.float16 and str(ours["dtype"]) == str(theirs["dtype"])
    assert ours["device"] == gradiente.device("cpu") and str(ours["device"]) == "cpu"


def test_weighted_sampler_without_replacement_asking_too_many_says_what_torch_says():
    """More samples than categories: torch's size check comes before the zero-weight one."""
    ours = _error(
        lambda: list(gradiente.utils.data.WeightedRandomSampler([1, 2], 5, replacement=False)),
        RuntimeError,
    )
    theirs = _error(
        lambda: list(torch.utils.data.WeightedRandomSampler([1, 2], 5, replacement=False)),
        RuntimeError,
    )
    assert ours == theirs


def test_prefetch_factor_without_workers_error_is_torchs():
    dataset = list(range(4))
    ours = _error(lambda: gradiente.utils.data.DataLoader(dataset, prefetch_factor=2), ValueError)
    theirs = _error(lambda: torch.utils.data.DataLoader(dataset, prefetch_factor=2), ValueError)
    assert ours == theirs
