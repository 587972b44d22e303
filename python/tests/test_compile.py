"""gnnrt.compile: PyG models exported through torch.onnx.export, run in engines, matching PyG."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv

import gnnrt
from conftest import DEVICES, FIXTURES, SineGCN, as_torch, fixture_expected, fixture_inputs, fixture_model

ATOL, RTOL = 1e-4, 1e-3


def pyg(model, inputs):
    with torch.no_grad():
        return model(**inputs)


@pytest.mark.parametrize("device", DEVICES)
def test_trained_cora_gcn_matches_pyg(device):
    model = fixture_model("gcn_cora").to(device)
    g0 = as_torch(fixture_inputs("gcn_cora", "g0"), device)
    reference = pyg(model, g0)
    # The rebuilt model is the trained one: PyG reproduces what the fixture recorded.
    np.testing.assert_allclose(reference.cpu().numpy(), fixture_expected("gcn_cora"), atol=ATOL, rtol=RTOL)

    compiled = gnnrt.compile(model, (g0["x"], g0["edge_index"]), max_nodes=5000, max_edges=20000)
    assert isinstance(compiled, torch.nn.Module)
    out = compiled(g0["x"], g0["edge_index"])
    assert out.device.type == device and out.dtype == torch.float32
    torch.testing.assert_close(out, reference, atol=ATOL, rtol=RTOL)

    with np.load(FIXTURES / "gcn_cora" / "labels.npz") as labels:
        y, mask = torch.from_numpy(labels["y"]), torch.from_numpy(labels["test_mask"])
    accuracy = lambda logits: float((logits.cpu().argmax(1)[mask] == y[mask]).float().mean())  # noqa: E731
    assert accuracy(out) == pytest.approx(accuracy(reference), abs=1e-3)

    for graph in ("g1", "g2", "isolated", "empty_edges"):  # other sizes, one compiled module
        inputs = as_torch(fixture_inputs("gcn_cora", graph), device)
        torch.testing.assert_close(compiled(**inputs), pyg(model, inputs), atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("device", DEVICES)
def test_graph_classification_matches_pyg_for_any_number_of_graphs(device):
    model = fixture_model("gcn_graph_mean_pool").to(device)
    g0 = as_torch(fixture_inputs("gcn_graph_mean_pool", "g0"), device)  # 4 graphs
    compiled = gnnrt.compile(model, g0)
    assert "dynamo=True" in compiled.report  # keeps the graph count symbolic
    for graph in ("g0", "g1", "g2"):  # g2: 7 graphs
        inputs = as_torch(fixture_inputs("gcn_graph_mean_pool", graph), device)
        out = compiled(inputs["x"], inputs["edge_index"], inputs["batch"])
        np.testing.assert_allclose(out.cpu().numpy(), fixture_expected("gcn_graph_mean_pool", graph), atol=ATOL,
                                   rtol=RTOL)
        torch.testing.assert_close(out, pyg(model, inputs), atol=ATOL, rtol=RTOL)


def test_the_other_device_gets_its_own_engine():
    model = fixture_model("gcn_cora")
    g1 = as_torch(fixture_inputs("gcn_cora", "g1"))
    compiled = gnnrt.compile(model, g1)
    if not (gnnrt.built_with_cuda and torch.cuda.is_available()):
        pytest.skip("needs a GPU and a CUDA build for the second device")
    on_gpu = {k: v.cuda() for k, v in g1.items()}
    out = compiled(**on_gpu)
    assert out.is_cuda
    torch.testing.assert_close(out.cpu(), compiled(**g1), atol=ATOL, rtol=RTOL)


def test_forward_takes_the_models_arguments():
    model = fixture_model("gcn_cora")
    g1 = as_torch(fixture_inputs("gcn_cora", "g1"))
    compiled = gnnrt.compile(model, {"edge_index": g1["edge_index"], "x": g1["x"]})
    expected = pyg(model, g1)
    torch.testing.assert_close(compiled(g1["x"], edge_index=g1["edge_index"]), expected, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(compiled(edge_index=g1["edge_index"], x=g1["x"]), expected, atol=ATOL, rtol=RTOL)
    with pytest.raises(TypeError):
        compiled(g1["x"])
    # Numpy arrays work too, and come back as numpy.
    out = compiled(g1["x"].numpy(), g1["edge_index"].numpy())
    np.testing.assert_allclose(out, expected.numpy(), atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_sixteen_bit_compile_stays_close(precision):
    model = fixture_model("gcn_cora")
    g0 = as_torch(fixture_inputs("gcn_cora"))
    compiled = gnnrt.compile(model, g0, precision=precision)
    out, reference = compiled(**g0), pyg(model, g0)
    torch.testing.assert_close(out, reference, atol=0.1, rtol=0.05)
    assert (out.argmax(1) == reference.argmax(1)).float().mean() > 0.99


@pytest.mark.parametrize("device", DEVICES)
def test_int8_compile_calibrates_on_the_example_and_stays_close(device):
    model = fixture_model("gcn_cora").to(device)
    g0, g1 = as_torch(fixture_inputs("gcn_cora"), device), as_torch(fixture_inputs("gcn_cora", "g1"), device)
    compiled = gnnrt.compile(model, g0, precision="int8")
    # The real graph it was calibrated on (2,708 nodes), and a 120-node one, where 1 % is one node.
    for graph, agreement in ((g0, 0.99), (g1, 0.95)):
        out, reference = compiled(**graph), pyg(model, graph)
        assert out.device == reference.device
        assert not torch.equal(out, reference)  # int8 inside
        assert (out - reference).abs().max() < 2.0  # the entropy calibrator's bound (docs/INT8.md)
        assert (out.argmax(1) == reference.argmax(1)).float().mean() >= agreement
    # Calibration on other graphs than the example, given as the example is.
    other = gnnrt.compile(model, g1, precision="int8", calibration_inputs=[g0])
    assert (other(**g0).argmax(1) == pyg(model, g0).argmax(1)).float().mean() >= 0.99
    with pytest.raises(gnnrt.CompileError, match="calibration_inputs apply to precision='int8'"):
        gnnrt.compile(model, g0, calibration_inputs=[g0])


def test_profile_bound_refuses_bigger_graphs():
    model = fixture_model("gcn_cora")
    g1 = as_torch(fixture_inputs("gcn_cora", "g1"))  # 120 nodes
    compiled = gnnrt.compile(model, g1, max_nodes=150)
    with pytest.raises(ValueError, match="150"):
        compiled(**as_torch(fixture_inputs("gcn_cora", "g2")))  # 257 nodes


def test_report_says_what_was_exported():
    compiled = gnnrt.compile(fixture_model("gcn_cora"), as_torch(fixture_inputs("gcn_cora", "g1")))
    assert "exported with torch.onnx.export (dynamo=True" in compiled.report
    assert "x float32[num_nodes, 1433]" in compiled.report
    assert "edge_index int64[2, num_edges]" in compiled.report
    assert "no opt sizes" in compiled.report


def test_opt_sizes_are_the_engines():
    model = fixture_model("gcn_graph_mean_pool")
    g0 = as_torch(fixture_inputs("gcn_graph_mean_pool", "g0"))
    compiled = gnnrt.compile(model, g0, opt_nodes=40, opt_edges=100, opt_graphs=4, max_graphs=8)
    assert "opt_nodes=40, opt_edges=100, opt_graphs=4" in compiled.report
    torch.testing.assert_close(compiled(**g0), pyg(model, g0), atol=ATOL, rtol=RTOL)
    with pytest.raises(ValueError, match="opt-graphs 9 is more than --max-graphs 8"):
        gnnrt.compile(model, g0, opt_graphs=9, max_graphs=8)



def test_unsupported_operator_is_named_with_what_to_do():
    inputs = as_torch(fixture_inputs("gcn_edge_weight", "g0"))
    with pytest.raises(gnnrt.CompileError) as error:
        gnnrt.compile(SineGCN().eval(), (inputs["x"], inputs["edge_index"]))
    message = str(error.value)
    assert "Sin" in message and 'backend="gnnrt"' in message
    assert isinstance(error.value, ValueError)


class TakesAnInt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GCNConv(12, 4)

    def forward(self, x, edge_index, hops: int):
        for _ in range(hops):
            x = F.relu(x)
        return self.conv(x, edge_index)


class ReturnsADict(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GCNConv(12, 4)

    def forward(self, x, edge_index):
        return {"out": self.conv(x, edge_index)}


def test_what_cannot_be_exported_is_explained():
    inputs = as_torch(fixture_inputs("gcn_edge_weight", "g0"))
    with pytest.raises(gnnrt.CompileError, match="tensor arguments only; 'hops' is int"):
        gnnrt.compile(TakesAnInt().eval(), (inputs["x"], inputs["edge_index"], 2))
    with pytest.raises(gnnrt.CompileError, match="returns dict"):
        gnnrt.compile(ReturnsADict().eval(), (inputs["x"], inputs["edge_index"]))
    with pytest.raises(gnnrt.CompileError, match="do not fit"):
        gnnrt.compile(ReturnsADict().eval(), (inputs["x"],))
    with pytest.raises(gnnrt.CompileError, match="precision"):
        gnnrt.compile(ReturnsADict().eval(), (inputs["x"], inputs["edge_index"]), precision="int4")


def test_edge_weight_model_compiles_and_every_argument_is_required():
    model = fixture_model("gcn_edge_weight")  # forward(x, edge_index, edge_weight)
    inputs = as_torch(fixture_inputs("gcn_edge_weight", "g0"))
    compiled = gnnrt.compile(model, inputs)
    torch.testing.assert_close(compiled(**inputs), pyg(model, inputs), atol=ATOL, rtol=RTOL)
    with pytest.raises(TypeError, match="edge_weight"):
        compiled(inputs["x"], inputs["edge_index"])


def test_symbolic_pyg_sizes_keeps_pooling_results_and_restores_pyg():
    # The export-time stand-in for PyG's scatter (pooling without size=) gives the same numbers,
    # and PyG's own function is back afterwards, in every module that had imported it.
    from torch_geometric.nn import global_add_pool, global_mean_pool
    from torch_geometric.utils import _scatter

    from gnnrt.onnx_export import symbolic_pyg_sizes

    original = _scatter.scatter
    x = torch.randn(11, 3)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 4, 4])  # graph 3 has no nodes
    expected = (global_mean_pool(x, batch), global_add_pool(x, batch))
    with symbolic_pyg_sizes():
        assert _scatter.scatter is not original
        during = (global_mean_pool(x, batch), global_add_pool(x, batch))
    assert _scatter.scatter is original
    import torch_geometric.nn.pool.glob as glob
    assert glob.scatter is original
    for want, got in zip(expected, during):
        assert got.shape == (5, 3)
        assert torch.equal(want, got)
