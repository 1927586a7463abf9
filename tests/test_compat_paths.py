"""torch.nn.modules.* paths, torch.backends flags and torch.serialization's safe globals under
the torch alias (``gradiente run``), each run in a fresh interpreter like tests/test_compat.py."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pickle

import pytest

import gradiente
from conftest import run_with_torch_alias


def test_nn_modules_paths_name_gradientes_layers():
    result = run_with_torch_alias("""
        import torch
        import gradiente.nn as gnn
        from torch.nn.modules.linear import Linear, Identity
        from torch.nn.modules.conv import Conv2d, _ConvNd
        from torch.nn.modules.module import Module
        from torch.nn.modules.batchnorm import BatchNorm2d, _BatchNorm
        from torch.nn.modules.activation import ReLU, MultiheadAttention
        from torch.nn.modules.loss import CrossEntropyLoss, _Loss
        from torch.nn.modules.container import Sequential, ModuleList
        from torch.nn.modules.pooling import MaxPool2d, MaxPool3d
        from torch.nn.modules.dropout import Dropout
        from torch.nn.modules.normalization import LayerNorm
        from torch.nn.modules.rnn import LSTM
        from torch.nn.modules.transformer import TransformerEncoderLayer
        from torch.nn.modules.sparse import Embedding
        from torch.nn.modules.utils import _pair, _triple
        import torch.nn.modules.conv as conv_module

        assert Linear is gnn.Linear and Identity is gnn.Identity and Module is gnn.Module
        assert Conv2d is gnn.Conv2d and BatchNorm2d is gnn.BatchNorm2d
        assert isinstance(gnn.Conv2d(1, 1, 1), _ConvNd)
        assert isinstance(gnn.BatchNorm1d(3), _BatchNorm)
        assert isinstance(gnn.MSELoss(), _Loss)
        assert MultiheadAttention is gnn.MultiheadAttention and ReLU is gnn.ReLU
        assert (CrossEntropyLoss, Sequential, ModuleList) == (
            gnn.CrossEntropyLoss, gnn.Sequential, gnn.ModuleList)
        assert (MaxPool2d, MaxPool3d, Dropout, LayerNorm, LSTM) == (
            gnn.MaxPool2d, gnn.MaxPool3d, gnn.Dropout, gnn.LayerNorm, gnn.LSTM)
        assert TransformerEncoderLayer is gnn.TransformerEncoderLayer
        assert Embedding is gnn.Embedding and conv_module.Conv3d is gnn.Conv3d
        assert _pair(3) == (3, 3) and _triple((1, 2, 3)) == (1, 2, 3)
        assert isinstance(torch.nn.modules.linear.Linear(2, 3), torch.nn.Module)
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_backends_flags_are_settable_no_ops():
    result = run_with_torch_alias("""
        import torch
        import torch.backends.cudnn as cudnn
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.enabled = False
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.mkldnn.enabled = False
        assert cudnn.benchmark is True and torch.backends.cuda.matmul.allow_tf32 is True
        assert torch.backends.mps.is_available() is False
        assert torch.backends.mkldnn.is_available() is False
        assert torch.backends.cudnn.is_available() is False
        x = torch.ones(2, 2)
        print((x @ x).sum().item())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8.0"


def test_missing_name_in_a_modules_path_is_named():
    result = run_with_torch_alias("""
        import torch
        try:
            torch.nn.modules.linear.NoSuchLayer
        except AttributeError as error:
            print(error)
    """)
    assert result.stdout.strip() == (
        "gradiente run: torch.nn.modules.linear.NoSuchLayer is not supported by gradiente"
    )


class Config:
    """A user class saved inside a checkpoint (pickled)."""

    def __init__(self, width):
        self.width = width
        self.weights = gradiente.arange(3.0)


def test_safe_globals_allow_a_weights_only_load(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    gradiente.save({"config": Config(7), "step": 3}, path)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global.*Config"):
        gradiente.load(path)
    from gradiente import serialization

    with serialization.safe_globals([Config]):
        loaded = gradiente.load(path)
    assert loaded["config"].width == 7 and loaded["step"] == 3
    assert loaded["config"].weights.tolist() == [0.0, 1.0, 2.0]
    assert serialization.get_safe_globals() == []  # the with block's globals are gone
    with pytest.raises(pickle.UnpicklingError):
        gradiente.load(path)
    serialization.add_safe_globals([Config])
    try:
        assert gradiente.load(path)["config"].width == 7
    finally:
        serialization.clear_safe_globals()


def test_torch_serialization_resolves_under_the_alias():
    result = run_with_torch_alias("""
        import torch
        from torch.serialization import add_safe_globals, safe_globals
        import gradiente.serialization
        assert add_safe_globals is gradiente.serialization.add_safe_globals
        assert torch.serialization.safe_globals is safe_globals
        import torch.multiprocessing as mp
        import gradiente.multiprocessing
        assert mp.Process is gradiente.multiprocessing.Process
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_printed_types_are_torchs_under_the_alias_and_gradientes_after():
    result = run_with_torch_alias("""
        import pickle
        import torch
        x = torch.ones(2)
        print(type(x), type(torch.nn.Parameter(x)), type(x.shape), type(torch.float32),
              type(torch.device("cpu")), torch.typename(x), sep="|")
        assert pickle.loads(pickle.dumps(x)).tolist() == [1.0, 1.0]
        from gradiente import compat
        compat.uninstall()
        print(type(x))
    """)
    assert result.returncode == 0, result.stderr
    torch_line, after = result.stdout.strip().splitlines()
    assert torch_line.split("|") == [
        "<class 'torch.Tensor'>",
        "<class 'torch.nn.parameter.Parameter'>",
        "<class 'torch.Size'>",
        "<class 'torch.dtype'>",
        "<class 'torch.device'>",
        "torch.FloatTensor",
    ]
    assert after == "<class 'gradiente.tensor.Tensor'>"
