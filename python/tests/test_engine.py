"""gnnrt.Engine from Python: build from the PyG fixtures' ONNX files, run with numpy arrays and
torch tensors, save and load, precisions, profiles, and the structure cache across calls."""

import numpy as np
import pytest
import torch

import gnnrt
from conftest import DEVICES, FIXTURES, as_torch, fixture_expected, fixture_inputs, fixture_model

ATOL, RTOL = 1e-4, 1e-3


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
@pytest.mark.parametrize("device", DEVICES)
def test_engine_reproduces_pyg_for_both_exporters(exporter, device):
    engine = gnnrt.Engine.build(FIXTURES / "gcn_cora" / exporter / "model.onnx", device=device)
    assert engine.device == device
    assert engine.input_names == ["x", "edge_index"] and engine.output_names == ["out"]
    context = engine.create_context()
    for graph in ("g0", "g1", "g2"):
        out = context.run(**as_torch(fixture_inputs("gcn_cora", graph), device))["out"]
        np.testing.assert_allclose(out.cpu().numpy(), fixture_expected("gcn_cora", graph), atol=ATOL, rtol=RTOL)


def test_outputs_come_back_as_the_inputs_kind():
    context = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "torchscript" / "model.onnx").create_context()
    inputs = fixture_inputs("gcn_cora", "g1")
    from_numpy = context.run(**inputs)["out"]
    from_torch = context.run(**as_torch(inputs))["out"]
    assert isinstance(from_numpy, np.ndarray) and from_numpy.dtype == np.float32
    assert isinstance(from_torch, torch.Tensor) and from_torch.device.type == "cpu"
    np.testing.assert_array_equal(from_numpy, from_torch.numpy())


@pytest.mark.skipif(not gnnrt.built_with_cuda or not torch.cuda.is_available(), reason="needs a GPU and a CUDA build")
def test_cuda_engine_returns_cuda_tensors_for_cuda_inputs_and_host_arrays_for_numpy():
    context = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "dynamo" / "model.onnx", device="cuda").create_context()
    inputs = fixture_inputs("gcn_cora", "g1")
    on_gpu = context.run(**as_torch(inputs, "cuda"))["out"]
    on_host = context.run(**inputs)["out"]
    assert on_gpu.is_cuda and isinstance(on_host, np.ndarray)
    np.testing.assert_allclose(on_gpu.cpu().numpy(), on_host, atol=ATOL, rtol=RTOL)
    # Work queued on torch's current stream (a side stream here) is done before gnnrt reads it.
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        x = torch.from_numpy(inputs["x"]).cuda() * 1.0
        edge_index = torch.from_numpy(inputs["edge_index"]).cuda()
        out = context.run(x=x, edge_index=edge_index)["out"]
    np.testing.assert_allclose(out.cpu().numpy(), on_host, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("device", DEVICES)
def test_save_and_load_round_trip(tmp_path, device):
    built = gnnrt.Engine.build(FIXTURES / "gcn_graph_mean_pool" / "dynamo" / "model.onnx", device=device,
                               profile={"max_nodes": 1000, "max_edges": 5000, "max_graphs": 16})
    path = tmp_path / "pool.engine"
    built.save(path)
    loaded = gnnrt.Engine.load(path)
    assert (loaded.device, loaded.input_names, loaded.output_names) == \
        (built.device, built.input_names, built.output_names)
    for graph in ("g0", "g2"):
        inputs = as_torch(fixture_inputs("gcn_graph_mean_pool", graph), device)
        a = built.create_context().run(**inputs)["out"]
        b = loaded.create_context().run(**inputs)["out"]
        assert torch.equal(a, b)
        np.testing.assert_allclose(b.cpu().numpy(), fixture_expected("gcn_graph_mean_pool", graph), atol=ATOL,
                                   rtol=RTOL)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_sixteen_bit_engines_stay_close_to_fp32(precision):
    onnx_path = FIXTURES / "gcn_cora" / "torchscript" / "model.onnx"
    inputs = fixture_inputs("gcn_cora")
    fp32 = gnnrt.Engine.build(onnx_path).create_context().run(**inputs)["out"]
    low = gnnrt.Engine.build(onnx_path, precision=precision).create_context().run(**inputs)["out"]
    assert low.dtype == np.float32  # 16-bit storage inside, fp32 outputs
    assert not np.array_equal(low, fp32)  # the engine did store features in 16 bits
    np.testing.assert_allclose(low, fp32, atol=0.1, rtol=0.05)
    assert (low.argmax(1) == fp32.argmax(1)).mean() > 0.99


@pytest.mark.parametrize("device", DEVICES)
def test_int8_engines_calibrate_write_their_cache_and_stay_close_to_fp32(tmp_path, device):
    onnx_path = FIXTURES / "gcn_cora" / "torchscript" / "model.onnx"
    g0, g1 = fixture_inputs("gcn_cora", "g0"), fixture_inputs("gcn_cora", "g1")
    cache = tmp_path / "cora.cache"
    calibrated = gnnrt.Engine.build(onnx_path, precision="int8", device=device, calibration=[as_torch(g0, device)],
                                    calibration_cache=cache)
    assert cache.read_text().startswith("gnnrt-int8-calibration 1 entropy\n")
    # Its outputs against fp32 on another graph; then a build from the cache alone (no graphs).
    fp32 = gnnrt.Engine.build(onnx_path).create_context().run(**g1)["out"]
    int8 = calibrated.create_context().run(**g1)["out"]
    assert not np.array_equal(int8, fp32)  # it is int8 inside
    assert np.abs(int8 - fp32).max() < 2.0  # the entropy calibrator's bound (docs/INT8.md)
    assert (int8.argmax(1) == fp32.argmax(1)).mean() >= 0.95  # 120 nodes: 1 % is one node
    from_cache = gnnrt.Engine.build(onnx_path, precision="int8", device=device, calibration_cache=cache,
                                    calibrator="minmax", int8_per_row=True)
    out = from_cache.create_context().run(**g1)["out"]
    assert (out.argmax(1) == fp32.argmax(1)).mean() >= 0.95
    with pytest.raises(ValueError, match="int8 needs calibration"):
        gnnrt.Engine.build(onnx_path, precision="int8", device=device)
    with pytest.raises(ValueError, match="apply to precision int8"):
        gnnrt.Engine.build(onnx_path, precision="fp16", device=device, calibration_cache=cache)


def test_profile_bounds_are_enforced_with_the_bound_to_raise():
    engine = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "torchscript" / "model.onnx",
                                profile={"max_nodes": 200, "max_shapes": {"edge_index": (2, 1000)}})
    context = engine.create_context()
    small = fixture_inputs("gcn_cora", "g1")  # 120 nodes
    np.testing.assert_allclose(context.run(**small)["out"], fixture_expected("gcn_cora", "g1"), atol=ATOL, rtol=RTOL)
    with pytest.raises(ValueError, match="max"):
        context.run(**fixture_inputs("gcn_cora", "g2"))  # 257 nodes


def test_structure_cache_compares_contents_not_addresses():
    """The same edge_index buffer, changed in place between calls, must not reuse the old graph's
    normalisation: gnnrt reads the caller's memory without copying it."""
    model = fixture_model("gcn_cora")
    context = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "dynamo" / "model.onnx").create_context()
    inputs = fixture_inputs("gcn_cora", "g1")
    x, edge_index = inputs["x"], inputs["edge_index"].copy()
    first = context.run(x=x, edge_index=edge_index)["out"]
    edge_index[1] = np.roll(edge_index[1], 7)  # another graph, same buffer and shape
    second = context.run(x=x, edge_index=edge_index)["out"]
    with torch.no_grad():
        expected = model(torch.from_numpy(x), torch.from_numpy(edge_index)).numpy()
    np.testing.assert_allclose(second, expected, atol=ATOL, rtol=RTOL)
    assert not np.allclose(first, second)


def test_contexts_of_one_engine_are_independent():
    engine = gnnrt.Engine.build(FIXTURES / "gcn_cora" / "torchscript" / "model.onnx")
    a, b = engine.create_context(), engine.create_context()
    out_a = a.run(**fixture_inputs("gcn_cora", "g1"))["out"]
    out_b = b.run(**fixture_inputs("gcn_cora", "g2"))["out"]
    np.testing.assert_allclose(out_a, fixture_expected("gcn_cora", "g1"), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(out_b, fixture_expected("gcn_cora", "g2"), atol=ATOL, rtol=RTOL)
