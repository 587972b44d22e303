"""One exported ONNX model served on whichever device the inputs are on: an engine per device,
built when first needed (the example's device at once), and an execution context per device
and thread (a context runs one call at a time; each keeps its own structure cache)."""

from __future__ import annotations

import contextlib
import threading

from .arrays import CallKind, classify
from .engine import Engine, ExecutionContext


def _on_cuda_device(index: int):
    """CUDA work of gnnrt (engine building, contexts) goes to the current device: make it `index`."""
    if index < 0:
        return contextlib.nullcontext()
    import torch
    return torch.cuda.device(index)


class EngineRunner:
    def __init__(self, onnx_path: str, precision: str = "fp32", profile: dict | None = None,
                 cuda_graphs: bool = False, calibration: list[dict] | None = None):
        self.onnx_path = onnx_path
        self.precision = precision
        self.calibration = calibration  # precision "int8": graphs to calibrate on, for each device's build
        self.profile = profile
        self.cuda_graphs = cuda_graphs
        self._engines: dict[int, Engine] = {}   # CUDA device index, or -1 for the CPU
        self._lock = threading.Lock()
        self._local = threading.local()

    def engine(self, cuda_device: int) -> Engine:
        """The engine for the CPU (-1) or a CUDA device, built on first use."""
        engine = self._engines.get(cuda_device)
        if engine is None:
            with self._lock:
                engine = self._engines.get(cuda_device)
                if engine is None:
                    with _on_cuda_device(cuda_device):
                        engine = Engine.build(self.onnx_path, precision=self.precision, profile=self.profile,
                                              device="cuda" if cuda_device >= 0 else "cpu",
                                              calibration=self.calibration)
                    self._engines[cuda_device] = engine
        return engine

    def context(self, cuda_device: int) -> ExecutionContext:
        contexts = getattr(self._local, "contexts", None)
        if contexts is None:
            contexts = self._local.contexts = {}
        context = contexts.get(cuda_device)
        if context is None:
            engine = self.engine(cuda_device)
            with _on_cuda_device(cuda_device):
                context = engine.create_context(cuda_graphs=self.cuda_graphs)
            contexts[cuda_device] = context
        return context

    def run(self, inputs: dict, kind: CallKind | None = None) -> dict:
        kind = kind or classify(inputs)
        return self.context(kind.cuda_device).run_classified(inputs, kind)
