"""torch.compile(model, backend="gnnrt"): what gnnrt supports runs in engines, the rest in
PyTorch, with Torch-TensorRT's options, and the report says which ops fell back."""

import logging

import pytest
import torch

import gnnrt
from conftest import DEVICES, SineGCN, as_torch, fixture_inputs, fixture_model

ATOL, RTOL = 1e-4, 1e-3



@pytest.fixture(autouse=True)
def fresh_dynamo():
    # Whole GCNs in one graph (PyG's self-loop removal is data-dependent); a fresh cache per test.
    torch._dynamo.reset()
    with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True):
        yield
    torch._dynamo.reset()


def graph(name, device="cpu"):
    inputs = as_torch(fixture_inputs("gcn_edge_weight", name), device)
    return inputs["x"], inputs["edge_index"]


def eager(model, *args):
    with torch.no_grad():
        return model(*args)


@pytest.mark.parametrize("device", DEVICES)
def test_unsupported_op_falls_back_to_pytorch_and_is_reported(device, caplog):
    torch.manual_seed(0)
    model = SineGCN().eval().to(device)
    compiled = torch.compile(model, backend="gnnrt")
    with caplog.at_level(logging.WARNING, logger="gnnrt"), torch.no_grad():
        out = compiled(*graph("g0", device))
    torch.testing.assert_close(out, eager(model, *graph("g0", device)), atol=ATOL, rtol=RTOL)
    report = gnnrt.last_backend_report()
    assert report.fallback_ops == ["aten.sin.default"]
    assert len(report.blocks) == 2 and all(b.device == device for b in report.blocks)
    assert "gnnrt does not support it" in report.fallbacks[0].reason and "Sin" in report.fallbacks[0].reason
    assert any("fell back to PyTorch: aten.sin.default" in r.getMessage() for r in caplog.records)
    with torch.no_grad():
        for name in ("g1", "g2"):  # other graph sizes: dynamo recompiles once, dynamic
            torch.testing.assert_close(compiled(*graph(name, device)), eager(model, *graph(name, device)), atol=ATOL,
                                       rtol=RTOL)


def test_a_supported_model_runs_in_one_engine():
    model = fixture_model("gcn_cora")
    inputs = as_torch(fixture_inputs("gcn_cora", "g1"))
    compiled = torch.compile(model, backend="gnnrt", options={"require_full_compilation": True})
    with torch.no_grad():
        torch.testing.assert_close(compiled(**inputs), eager(model, *inputs.values()), atol=ATOL, rtol=RTOL)
    report = gnnrt.last_backend_report()
    assert len(report.blocks) == 1 and report.fallbacks == []


def test_torch_executed_ops_forces_ops_to_pytorch():
    model = fixture_model("gcn_cora")  # conv -> relu -> conv
    inputs = as_torch(fixture_inputs("gcn_cora", "g1"))
    compiled = torch.compile(model, backend="gnnrt", options={"torch_executed_ops": ["torch.ops.aten.relu"]})
    with torch.no_grad():
        torch.testing.assert_close(compiled(**inputs), eager(model, *inputs.values()), atol=ATOL, rtol=RTOL)
    report = gnnrt.last_backend_report()
    assert report.fallback_ops == ["aten.relu.default"]
    assert report.fallbacks[0].reason == "listed in torch_executed_ops"
    assert len(report.blocks) == 2


def test_blocks_below_min_block_size_stay_in_pytorch():
    torch.manual_seed(0)
    model = SineGCN().eval()
    compiled = torch.compile(model, backend="gnnrt", options={"min_block_size": 1000})
    with torch.no_grad():
        torch.testing.assert_close(compiled(*graph("g0")), eager(model, *graph("g0")), atol=ATOL, rtol=RTOL)
    report = gnnrt.last_backend_report()
    assert report.blocks == [] and len(report.fallbacks) == report.graph_ops
    assert any("fewer than min_block_size=1000" in f.reason for f in report.fallbacks)


def test_require_full_compilation_refuses_a_fallback():
    model = SineGCN().eval()
    compiled = torch.compile(model, backend="gnnrt", options={"require_full_compilation": True})
    with pytest.raises(Exception, match="aten.sin.default") as error, torch.no_grad():
        compiled(*graph("g0"))
    assert "require_full_compilation=True" in str(error.value)


def test_unknown_options_are_refused():
    compiled = torch.compile(SineGCN().eval(), backend="gnnrt", options={"min_blocksize": 3})
    with pytest.raises(Exception, match="unknown option.*min_blocksize"), torch.no_grad():
        compiled(*graph("g0"))
