"""The torch.compile backend "gnnrt": torch.compile(model, backend="gnnrt", options={...}).

As Torch-TensorRT's backend does, it lowers each graph dynamo captures to ATen, runs the blocks
gnnrt supports in gnnrt engines and leaves the rest in PyTorch, and says which ops fell back and
why. Options, as Torch-TensorRT spells them:
  min_block_size (5)              fewest ops in a block worth an engine; smaller blocks stay in PyTorch
  torch_executed_ops ([])         ops forced to PyTorch: "aten.sin.default", "aten.sin", "torch.ops.aten.sin"
  require_full_compilation (False) raise instead of falling back when any op would run in PyTorch
and gnnrt's own: precision ("fp32", "fp16", "bf16").

Weights are frozen into the engines when the graph is compiled. PyG's self-loop handling makes
dynamo break the graph at every GCNConv unless torch._dynamo.config.capture_dynamic_output_shape_ops
is True; set it (PyG's own torch.compile advice) to give gnnrt whole models."""

from __future__ import annotations

import collections
import contextlib
import logging
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field

import torch

from .engine import PRECISIONS
from .fx_lowering import LoweringFailed, lower
from .fx_partition import Block, Fallback, is_compute, partition
from .onnx_export import first_line

log = logging.getLogger("gnnrt")

DEFAULTS = dict(min_block_size=5, torch_executed_ops=(), require_full_compilation=False, precision="fp32")


class UnsupportedGraphError(ValueError):
    """require_full_compilation=True and some ops would run in PyTorch (the message lists them)."""


@dataclass
class BackendReport:
    """What the backend did with one captured graph."""
    graph_ops: int
    blocks: list[Block] = field(default_factory=list)
    fallbacks: list[Fallback] = field(default_factory=list)
    note: str = ""

    @property
    def fallback_ops(self) -> list[str]:
        """The ops that run in PyTorch, one entry per op kind ('aten.sin.default')."""
        return sorted({f.op for f in self.fallbacks})

    def summary(self) -> str:
        in_engines = sum(len(b.ops) for b in self.blocks)
        lines = [f"gnnrt backend: {in_engines} of {self.graph_ops} ops run in {len(self.blocks)} gnnrt engine(s), "
                 f"{len(self.fallbacks)} in PyTorch" + (f" ({self.note})" if self.note else "")]
        for block in self.blocks:
            error = (f", max abs difference from PyTorch {block.max_abs_error:.3g}"
                     if block.max_abs_error is not None else "")
            lines.append(f"  engine {block.name} ({block.device}): {len(block.ops)} ops{error}")
        by_reason = collections.defaultdict(collections.Counter)
        for fallback in self.fallbacks:
            by_reason[fallback.reason][fallback.op] += 1
        for reason, ops in by_reason.items():
            listed = ", ".join(f"{op}" + (f" x{count}" if count > 1 else "") for op, count in sorted(ops.items()))
            lines.append(f"  fell back to PyTorch: {listed}: {reason}")
        return "\n".join(lines)


_REPORTS: collections.deque[BackendReport] = collections.deque(maxlen=64)


def last_backend_report() -> BackendReport | None:
    """The report of the graph the gnnrt backend compiled last in this process (None before any)."""
    return _REPORTS[-1] if _REPORTS else None


def backend_reports() -> list[BackendReport]:
    """The reports of the last 64 graphs the backend compiled, oldest first."""
    return list(_REPORTS)


def _settings(options: dict | None) -> dict:
    settings = dict(DEFAULTS)
    unknown = sorted(set(options or {}) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"gnnrt backend: unknown option(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    settings.update(options or {})
    if settings["precision"] not in PRECISIONS:
        raise ValueError(f"gnnrt backend: precision must be one of {', '.join(PRECISIONS)}")
    if int(settings["min_block_size"]) < 1:
        raise ValueError("gnnrt backend: min_block_size must be >= 1")
    ops = settings["torch_executed_ops"]
    settings["torch_executed_ops"] = [ops] if isinstance(ops, str) else [str(op) for op in ops]
    return settings


def _publish(report: BackendReport, settings: dict) -> None:
    _REPORTS.append(report)
    if report.fallbacks and settings["require_full_compilation"]:
        raise UnsupportedGraphError(report.summary() + "\nrequire_full_compilation=True: remove those ops, list "
                                    "fewer torch_executed_ops, or lower min_block_size")
    (log.warning if report.fallbacks else log.info)("%s", report.summary())


def gnnrt_backend(gm: torch.fx.GraphModule, example_inputs: list, options: dict | None = None, **unused):
    """torch.compile's entry point (registered under the name "gnnrt" by the package's entry point)."""
    settings = _settings(options)
    with _outside_dynamo():
        return _compile_graph(gm, list(example_inputs), settings)


def _outside_dynamo():
    """torch.export, run from inside a backend, would otherwise trace in dynamo's own tracing
    context and add guards to the frame dynamo is compiling (which then fail on that frame)."""
    tracing = getattr(torch._guards, "tracing", None)
    return tracing(None) if tracing else contextlib.nullcontext()


def _compile_graph(gm: torch.fx.GraphModule, example_inputs: list, settings: dict):
    folder = tempfile.mkdtemp(prefix="gnnrt-backend-")
    try:
        lowered = lower(gm, example_inputs, folder)
        compute = [n for n in lowered.module.graph.nodes if is_compute(n)]
        result = partition(lowered.module, lowered.example, lowered.unsupported,
                           min_block_size=int(settings["min_block_size"]),
                           torch_executed_ops=settings["torch_executed_ops"], precision=settings["precision"],
                           folder=folder)
    except Exception as failure:  # noqa: BLE001: what gnnrt cannot take runs in PyTorch, and says why
        shutil.rmtree(folder, ignore_errors=True)
        reason = (str(failure) if isinstance(failure, LoweringFailed)
                  else f"gnnrt could not take it ({first_line(failure)})")
        ops = [n for n in gm.graph.nodes if n.op in ("call_function", "call_method", "call_module")]
        fallbacks = [Fallback(n.name, str(getattr(n.target, "__name__", n.target)), reason) for n in ops]
        _publish(BackendReport(len(ops), [], fallbacks, note="the whole graph runs in PyTorch"), settings)
        return gm.forward
    report = BackendReport(len(compute), result.blocks, result.fallbacks)
    try:
        _publish(report, settings)
    except UnsupportedGraphError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    module, positions = result.module, lowered.user_inputs

    def compiled(*args):
        return module(*[args[i] for i in positions])

    weakref.finalize(compiled, shutil.rmtree, folder, True)  # the blocks' ONNX files (other-device engines)
    return compiled
