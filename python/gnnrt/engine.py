"""gnnrt engines from Python: build from ONNX, load, save, and run with numpy arrays or torch
tensors (CPU or CUDA) that pass through DLPack without a copy. A thin layer over the C++ API
(include/gnnrt/runtime.h) through the extension module gnnrt._gnnrt."""

from __future__ import annotations

import os
from collections.abc import Mapping

from . import _gnnrt
from .arrays import TORCH, CallKind, as_dlpack, classify, current_stream

PRECISIONS = ("fp32", "fp16", "bf16")  # engines built from the model alone
INT8 = "int8"  # needs calibration (docs/INT8.md)
PROFILE_KEYS = ("min_shapes", "opt_shapes", "max_shapes", "max_nodes", "max_edges", "max_graphs", "opt_nodes",
                "opt_edges", "opt_graphs")


def _shapes_text(key: str, shapes) -> str:
    """{'x': (1, 1433), 'edge_index': (2, 0)} -> "x:1x1433,edge_index:2x0" (trtexec's spelling)."""
    if isinstance(shapes, str):
        return shapes
    if not isinstance(shapes, Mapping):
        raise ValueError(f"profile['{key}'] must be a string such as 'x:1x1433,edge_index:2x0' or a dict of "
                         f"input name -> shape, got {type(shapes).__name__}")
    return ",".join(f"{name}:" + "x".join(str(int(d)) for d in shape) for name, shape in shapes.items())


def _profile_arguments(profile) -> dict:
    """The build arguments of an optimisation profile given as a dict (keys: PROFILE_KEYS)."""
    arguments = dict(min_shapes="", opt_shapes="", max_shapes="", max_nodes=-1, max_edges=-1, max_graphs=-1,
                     opt_nodes=-1, opt_edges=-1, opt_graphs=-1)
    if profile is None:
        return arguments
    if not isinstance(profile, Mapping):
        raise ValueError(f"profile must be a dict with keys among {', '.join(PROFILE_KEYS)}, got "
                         f"{type(profile).__name__}")
    unknown = sorted(set(profile) - set(PROFILE_KEYS))
    if unknown:
        raise ValueError(f"unknown profile key(s) {', '.join(unknown)}; expected {', '.join(PROFILE_KEYS)}")
    for key, value in profile.items():
        if value is None:
            continue
        if key.endswith("_shapes"):
            arguments[key] = _shapes_text(key, value)
        else:
            if int(value) < 0:
                raise ValueError(f"profile['{key}'] must be >= 0, got {value}")
            arguments[key] = int(value)
    return arguments


def _host_array(value):
    """A torch tensor on any device as a host tensor; anything else as it is."""
    cpu = getattr(value, "cpu", None)
    return cpu().contiguous() if cpu is not None and hasattr(value, "device") else value


class Engine:
    """A built engine for one device and optimisation profile (TensorRT's ICudaEngine)."""

    def __init__(self, native: _gnnrt.Engine):
        self._native = native

    @classmethod
    def build(cls, onnx_path, precision: str = "fp32", profile=None, device: str = "cpu", calibration=None,
              calibration_cache=None, calibrator: str = "entropy", layer_precisions=(),
              int8_per_row: bool = False) -> "Engine":
        """Imports an ONNX file (as torch.onnx.export writes it for PyG) and builds an engine.

        precision: "fp32", or "fp16"/"bf16" (node features stored in 16 bits, fp32 accumulation), or
            "int8" (as `gnnrt build --int8`: int8 node features and weights, scales from calibration).
        profile: dict with min_shapes/opt_shapes/max_shapes (trtexec strings or {name: shape}) and
            the PyG shortcuts max_nodes, max_edges, max_graphs (dimensions not bounded are
            unbounded) and opt_nodes, opt_edges, opt_graphs (the sizes a CUDA build times its SpMM
            tactics at; without them or opt_shapes, the run-time heuristic chooses).
        device: "cpu" or "cuda".
        int8 only: calibration, a list of graphs to calibrate on (each a dict of input name ->
            numpy array or torch tensor, as run() takes); calibration_cache, a file read when it
            exists (then no graphs are needed), else written; calibrator ("entropy", "minmax" or
            "percentile"); layer_precisions (["NAME:fp16", ...]); int8_per_row (per-row feature scales).
        """
        if precision not in PRECISIONS + (INT8,):
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS + (INT8,))}, got {precision!r}")
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        # Calibration runs on the CPU reference: host copies of the graphs, kept alive through the build.
        graphs = [{name: _host_array(value) for name, value in graph.items()} for graph in (calibration or [])]
        return cls(_gnnrt.Engine.build(os.fspath(onnx_path), device=device, precision=precision,
                                       **_profile_arguments(profile), calibration_graphs=graphs,
                                       calibration_cache=os.fspath(calibration_cache or ""), calibrator=calibrator,
                                       layer_precisions=list(layer_precisions), int8_per_row=int8_per_row))

    @classmethod
    def load(cls, path) -> "Engine":
        """Loads an engine file written by save() or `gnnrt build`."""
        return cls(_gnnrt.Engine.load(os.fspath(path)))

    def save(self, path) -> None:
        """Writes the engine file (versioned and checksummed; written atomically)."""
        self._native.save(os.fspath(path))

    @property
    def device(self) -> str:
        return self._native.device

    @property
    def input_names(self) -> list[str]:
        return self._native.input_names

    @property
    def output_names(self) -> list[str]:
        return self._native.output_names

    def create_context(self, cuda_graphs: bool = False) -> "ExecutionContext":
        """A context runs calls one at a time: make one per thread. cuda_graphs: replay repeated
        calls on one graph as CUDA graphs (CUDA engines; as trtexec --useCudaGraph)."""
        return ExecutionContext(self, cuda_graphs)

    def __repr__(self) -> str:
        return f"gnnrt.Engine(device={self.device!r}, inputs={self.input_names}, outputs={self.output_names})"


class ExecutionContext:
    """Runs an engine (TensorRT's IExecutionContext). Keeps the structure cache: a call on the
    same graph as the previous one (edge_index, edge_weight, batch equal byte for byte) skips
    the self-loops, degrees, normalisation and CSR construction."""

    def __init__(self, engine: Engine, cuda_graphs: bool = False):
        self.engine = engine
        self._native = engine._native.create_context()
        self._native.set_cuda_graphs(bool(cuda_graphs))
        self._outputs_on_device = False

    def run(self, **inputs) -> dict:
        """Runs the engine on named inputs (numpy arrays or torch tensors, CPU or CUDA) and returns
        the outputs by name, as the same kind: numpy for numpy inputs, torch for torch tensors, on
        the GPU when the inputs are there. Inputs and outputs are not copied between gnnrt and
        numpy/torch on the same device; GPU work is ordered after torch's current stream."""
        return self.run_classified(inputs, classify(inputs))

    def run_classified(self, inputs: dict, kind: CallKind) -> dict:
        """run() for a caller that classified the inputs already (gnnrt.compile's modules)."""
        on_device = kind.cuda_device >= 0 and kind.framework == TORCH
        if kind.cuda_device >= 0 and self.engine.device != "cuda":
            raise ValueError("the inputs are on the GPU but this engine was built for the CPU; move them with "
                             ".cpu() or build the engine with device='cuda'")
        if self.engine.device == "cuda":
            # Every call names a stream that is alive now: torch's current one (0, the legacy default
            # stream, when torch is not in use), so no call waits on a stream destroyed since.
            self._native.set_stream(current_stream(max(kind.cuda_device, 0)))
        if on_device != self._outputs_on_device:
            self._native.set_outputs_on_device(on_device)
            self._outputs_on_device = on_device
        return self._native.run(as_dlpack(inputs), kind.framework, max(kind.cuda_device, 0))
