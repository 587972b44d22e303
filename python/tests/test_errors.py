"""Errors are Python exceptions carrying the engine's message: ValueError (gnnrt.InvalidInputError)
for the caller's mistakes, RuntimeError (gnnrt.InternalError) for gnnrt's own; never a crash."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import gnnrt
from gnnrt import _gnnrt
from conftest import FIXTURES, cuda_usable, fixture_inputs

CORA = FIXTURES / "gcn_cora" / "torchscript" / "model.onnx"


@pytest.fixture(scope="module")
def context():
    return gnnrt.Engine.build(CORA).create_context()


def test_exception_types_follow_the_error_code():
    assert issubclass(gnnrt.InvalidInputError, ValueError)
    assert issubclass(gnnrt.InternalError, RuntimeError)
    with pytest.raises(gnnrt.InvalidInputError, match="^your input$"):
        _gnnrt.raise_error(2, "your input")
    with pytest.raises(gnnrt.InternalError, match="^our bug$"):
        _gnnrt.raise_error(1, "our bug")


def test_files_that_are_missing_or_not_models(tmp_path):
    with pytest.raises(ValueError, match="nope.onnx"):
        gnnrt.Engine.build(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.engine"
    bad.write_bytes(b"not an engine at all" * 10)
    with pytest.raises(ValueError, match="bad.engine"):
        gnnrt.Engine.load(bad)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x01garbage")
    with pytest.raises(ValueError, match="junk.onnx"):
        gnnrt.Engine.build(junk)


def test_build_arguments_are_checked():
    with pytest.raises(ValueError, match="precision"):
        gnnrt.Engine.build(CORA, precision="int4")
    with pytest.raises(ValueError, match="device"):
        gnnrt.Engine.build(CORA, device="tpu")
    with pytest.raises(ValueError, match="max_node"):
        gnnrt.Engine.build(CORA, profile={"max_node": 10})
    with pytest.raises(ValueError, match="unknown input name|'y'|y"):
        gnnrt.Engine.build(CORA, profile={"max_shapes": {"y": (3, 4)}})
    # The opt sizes reach the engine's profile, and its checks.
    with pytest.raises(ValueError, match="min <= opt <= max, got 0 <= 2000 <= 1000"):
        gnnrt.Engine.build(CORA, profile={"opt_nodes": 2000, "max_nodes": 1000})
    with pytest.raises(ValueError, match="no batch input"):
        gnnrt.Engine.build(CORA, profile={"opt_graphs": 4})


def test_inputs_are_checked_against_the_model(context):
    inputs = fixture_inputs("gcn_cora", "g1")
    with pytest.raises(ValueError, match="missing input 'edge_index'"):
        context.run(x=inputs["x"])
    with pytest.raises(ValueError, match="float64"):
        context.run(x=inputs["x"].astype(np.float64), edge_index=inputs["edge_index"])
    bad = inputs["edge_index"].copy()
    bad[0, 3] = 10_000
    with pytest.raises(ValueError, match="10000"):
        context.run(x=inputs["x"], edge_index=bad)
    with pytest.raises(ValueError, match="1433"):
        context.run(x=inputs["x"][:, :100].copy(), edge_index=inputs["edge_index"])
    with pytest.raises(ValueError, match="expected a numpy array or a torch tensor"):
        context.run(x=[[1.0]], edge_index=inputs["edge_index"])
    with pytest.raises(ValueError, match="element type"):
        context.run(x=inputs["x"].astype(np.complex64), edge_index=inputs["edge_index"])
    # The context still works after the errors.
    assert context.run(**inputs)["out"].shape == (inputs["x"].shape[0], 7)


@pytest.mark.skipif(not cuda_usable(), reason="needs a GPU and a CUDA build")
def test_gpu_inputs_for_a_cpu_engine_are_refused(context):
    inputs = {k: torch.from_numpy(v).cuda() for k, v in fixture_inputs("gcn_cora", "g1").items()}
    with pytest.raises(ValueError, match="built for the CPU"):
        context.run(**inputs)


@pytest.mark.skipif(gnnrt.built_with_cuda, reason="this build has CUDA")
def test_a_cuda_engine_without_cuda_says_so():
    with pytest.raises(ValueError, match="without CUDA"):
        gnnrt.Engine.build(CORA, device="cuda")


def test_errors_never_take_the_interpreter_down():
    """A separate interpreter makes every kind of bad call and exits normally."""
    script = f"""
import numpy as np, gnnrt
ctx = gnnrt.Engine.build({str(CORA)!r}).create_context()
calls = [lambda: ctx.run(x=np.zeros((3, 1433), np.float32), edge_index=np.array([[0, 5], [1, 2]])),
         lambda: ctx.run(x=np.zeros((3, 1433), np.float32), edge_index=np.zeros((3, 2), np.int64)),
         lambda: ctx.run(x=None, edge_index=None),
         lambda: gnnrt.Engine.load("/nonexistent"),
         lambda: ctx.run(x=np.zeros((0, 1433), np.float32), edge_index=np.zeros((2, 1), np.int64))]
for call in calls:
    try:
        call()
        print("no error")
    except (ValueError, RuntimeError) as e:
        print(type(e).__name__)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["InvalidInputError"] * 5
