"""Same-device arrays pass between numpy/torch and gnnrt without a copy, in both directions."""

import gc

import numpy as np
import pytest
import torch

import gnnrt
from gnnrt import _gnnrt
from conftest import DEVICES, FIXTURES, fixture_expected, fixture_inputs


def test_numpy_inputs_are_read_in_place():
    x = fixture_inputs("gcn_cora", "g1")["x"]
    view = _gnnrt.describe_view(x)
    assert view == {"address": x.ctypes.data, "dtype": "float32", "shape": list(x.shape), "device": "cpu"}


@pytest.mark.parametrize("device", DEVICES)
def test_torch_inputs_are_read_in_place(device):
    edge_index = torch.from_numpy(fixture_inputs("gcn_cora", "g1")["edge_index"]).to(device)
    view = _gnnrt.describe_view(edge_index)
    assert view["address"] == edge_index.data_ptr()
    assert view["dtype"] == "int64" and view["shape"] == [2, edge_index.shape[1]]
    assert view["device"] == ("cuda" if device == "cuda" else "cpu")


@pytest.mark.parametrize("device", DEVICES)
def test_a_call_hands_torch_tensors_over_as_capsules_of_the_same_memory(device):
    from gnnrt.arrays import as_dlpack

    inputs = fixture_inputs("gcn_cora", "g1")
    x = torch.from_numpy(inputs["x"]).to(device).requires_grad_()
    edge_index = torch.from_numpy(inputs["edge_index"]).to(device)
    strided = edge_index.t().contiguous().t()  # the same values, column-major
    plain = inputs["x"]
    given = as_dlpack({"x": x, "edge_index": edge_index, "strided": strided, "plain": plain})
    assert _gnnrt.describe_view(given["x"])["address"] == x.data_ptr()  # requires grad: still read in place
    assert _gnnrt.describe_view(given["edge_index"])["address"] == edge_index.data_ptr()
    made_contiguous = _gnnrt.describe_view(given["strided"])
    assert made_contiguous["address"] != strided.data_ptr() and made_contiguous["shape"] == [2, strided.shape[1]]
    assert given["plain"] is plain  # numpy arrays pass as they are


def test_a_strided_input_is_made_contiguous_first():
    x = np.ascontiguousarray(fixture_inputs("gcn_cora", "g1")["x"][:, :100])
    strided = np.asfortranarray(x)
    view = _gnnrt.describe_view(strided)
    assert view["address"] != strided.ctypes.data and view["shape"] == list(x.shape)


def test_numpy_outputs_are_views_of_the_engines_memory_and_keep_it_alive():
    engine = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "torchscript" / "model.onnx")
    context = engine.create_context()
    out = context.run(**fixture_inputs("gcn_cora", "g1"))["out"]
    assert not out.flags.owndata  # numpy did not allocate it: it views gnnrt's tensor
    owner = out.base.obj if isinstance(out.base, memoryview) else out.base
    assert type(owner).__module__.startswith("nanobind") or type(owner).__name__ == "nb_ndarray"
    assert out.ctypes.data % 64 == 0  # gnnrt's 64-byte-aligned storage
    expected = fixture_expected("gcn_cora", "g1")
    del context, engine
    gc.collect()
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_outputs_share_the_engines_memory(device):
    engine = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "dynamo" / "model.onnx", device=device)
    context = engine.create_context()
    inputs = {k: torch.from_numpy(v).to(device) for k, v in fixture_inputs("gcn_cora", "g1").items()}
    out = context.run(**inputs)["out"]
    assert out.device.type == device
    assert _gnnrt.describe_view(out)["address"] == out.data_ptr()
    if device == "cpu":
        assert out.data_ptr() % 64 == 0  # gnnrt's 64-byte-aligned host storage, not a torch allocation
    del context, engine
    gc.collect()
    np.testing.assert_allclose(out.cpu().numpy(), fixture_expected("gcn_cora", "g1"), atol=1e-4, rtol=1e-3)
