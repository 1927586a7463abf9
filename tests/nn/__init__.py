"""Tests of gradiente.nn: modules, layers, losses, init and functional against PyTorch."""
