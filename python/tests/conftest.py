"""Shared pieces of the Python package's tests: the PyG fixtures of tests/fixtures (models rebuilt
with the trained weights of their ONNX files), and the devices to run on (CUDA tests skip
themselves without a GPU or without CUDA in this build)."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
import torch

import gnnrt

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def _load_export_pyg():
    """python/export_pyg.py, where the fixture models are defined: loaded by path, so that python/
    does not go on sys.path (its gnnrt folder would hide the installed package)."""
    spec = importlib.util.spec_from_file_location("export_pyg", REPO / "python" / "export_pyg.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


export_pyg = _load_export_pyg()


def cuda_usable() -> bool:
    return gnnrt.built_with_cuda and torch.cuda.is_available()


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not cuda_usable(),
                                                                  reason="needs a GPU and a CUDA build of gnnrt"))]


def fixture_inputs(case: str, graph: str = "g0") -> dict[str, np.ndarray]:
    with np.load(FIXTURES / case / f"{graph}.inputs.npz") as npz:
        return {name: npz[name] for name in npz.files}


def fixture_expected(case: str, graph: str = "g0") -> np.ndarray:
    with np.load(FIXTURES / case / f"{graph}.expected.npz") as npz:
        return npz["out"]


def fixture_model(case: str) -> torch.nn.Module:
    """The fixture's PyG model with the weights its dynamo export holds (state-dict names)."""
    spec = export_pyg.CASES[case]
    model = spec["build"](spec["dims"])
    proto = onnx.load(str(FIXTURES / case / "dynamo" / "model.onnx"))
    state = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in proto.graph.initializer
             if t.name in model.state_dict()}
    model.load_state_dict(state, strict=True)
    return model.eval()


def as_torch(inputs: dict[str, np.ndarray], device: str = "cpu") -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(value).to(device) for name, value in inputs.items()}


@pytest.fixture(scope="session")
def cora_engine_path(tmp_path_factory) -> pathlib.Path:
    """The trained Cora GCN's TorchScript export, built once for the CPU and saved."""
    path = tmp_path_factory.mktemp("engines") / "gcn_cora.engine"
    gnnrt.Engine.build(FIXTURES / "gcn_cora" / "torchscript" / "model.onnx").save(path)
    return path


class SineGCN(torch.nn.Module):
    """Two GCN layers with a sine between them: gnnrt has no ONNX Sin (the fallback's model)."""

    def __init__(self):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv1, self.conv2 = GCNConv(12, 16), GCNConv(16, 5)

    def forward(self, x, edge_index):
        return self.conv2(torch.sin(self.conv1(x, edge_index)), edge_index)
