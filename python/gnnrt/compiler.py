"""gnnrt.compile: a PyG model in, a torch.nn.Module out that runs it in a gnnrt engine.

The model is exported once through torch.onnx.export with dynamic node and edge counts
(onnx_export.py), an engine is built for the example's device (and, on first use, for the other
device), and the returned module's forward takes the model's arguments, on the CPU or the GPU,
keeping the engine's structure cache from call to call."""

from __future__ import annotations

import inspect
import logging
import shutil
import tempfile
import weakref

import torch

from . import _gnnrt
from .arrays import classify
from .engine import INT8, PRECISIONS
from .engine_runner import EngineRunner
from .onnx_export import ExportFailed, export_model

log = logging.getLogger("gnnrt")


class CompileError(ValueError):
    """gnnrt.compile could not export the model, or gnnrt cannot run what was exported; the
    message says which, why, and what to do."""


def _arguments(model: torch.nn.Module, example_inputs) -> tuple[inspect.Signature, dict]:
    """The example as {parameter name: tensor}, bound to the model's forward signature."""
    signature = inspect.signature(model.forward)
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    try:
        if isinstance(example_inputs, dict):
            bound = signature.bind(**example_inputs)
        else:
            bound = signature.bind(*example_inputs)
    except TypeError as error:
        raise CompileError(f"gnnrt.compile: example_inputs do not fit {type(model).__name__}.forward{signature}: "
                           f"{error}") from None
    arguments = dict(bound.arguments)
    for name, value in arguments.items():
        kind = signature.parameters[name].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise CompileError(f"gnnrt.compile: {type(model).__name__}.forward takes *{name}; give the model named "
                               "tensor arguments (x, edge_index, ...)")
        if not isinstance(value, torch.Tensor):
            raise CompileError(f"gnnrt.compile exports tensor arguments only; '{name}' is "
                               f"{type(value).__name__}. Leave it out of example_inputs to use its default, or "
                               "make it a tensor")
    return signature, arguments


def _named_call_module(model: torch.nn.Module, names: list[str]) -> torch.nn.Module:
    """A module whose forward takes exactly `names` and calls model(name=value, ...): the
    exporters see one positional argument per input, whichever of the model's optional
    arguments the example leaves out. Names are Python identifiers from the signature."""
    source = (f"def forward(self, {', '.join(names)}):\n"
              f"    return self.model({', '.join(f'{n}={n}' for n in names)})\n")
    namespace = {}
    exec(source, namespace)  # noqa: S102: built from the model's own parameter names
    wrapper = type("ExportedArguments", (torch.nn.Module,), {"forward": namespace["forward"]})()
    wrapper.model = model
    return wrapper


def _output_names(output, model_name: str) -> tuple[list[str], bool]:
    """ONNX output names for the model's output, and whether it is a tuple."""
    if isinstance(output, torch.Tensor):
        return ["out"], False
    if isinstance(output, (tuple, list)) and output and all(isinstance(o, torch.Tensor) for o in output):
        return [f"out{i}" for i in range(len(output))], True
    raise CompileError(f"gnnrt.compile: {model_name} returns {type(output).__name__}; it must return a tensor or a "
                       "tuple of tensors")


def _describe(tensor: torch.Tensor, dims: dict[int, str]) -> str:
    shape = ", ".join(dims.get(axis, str(size)) for axis, size in enumerate(tensor.shape))
    return f"{str(tensor.dtype).replace('torch.', '')}[{shape}]"


class CompiledModule(torch.nn.Module):
    """The compiled model: forward has the model's signature and returns what it returns.
    `report` says what was exported and how the engine was built."""

    def __init__(self, model_name: str, signature: inspect.Signature, input_names: list[str],
                 engine_inputs: list[str], output_names: list[str], returns_tuple: bool, runner: EngineRunner,
                 folder: str, report: str):
        super().__init__()
        self.model_name = model_name
        self.report = report
        self._signature = signature
        self._input_names = input_names
        self._engine_inputs = engine_inputs
        self._output_names = output_names
        self._returns_tuple = returns_tuple
        self._runner = runner
        self._folder = folder
        weakref.finalize(self, shutil.rmtree, folder, True)  # the ONNX file, kept for the other device's engine

    def _inputs(self, args, kwargs) -> dict:
        if not kwargs and len(args) == len(self._input_names):
            given = dict(zip(self._input_names, args))
        else:
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{self.model_name} (gnnrt-compiled): {error}") from None
            given = bound.arguments
            missing = [name for name in self._input_names if name not in given]
            extra = [name for name in given if name not in self._input_names]
            if missing or extra:
                problems = ([f"lacks {', '.join(missing)}"] if missing else []) + \
                           ([f"also gives {', '.join(extra)}"] if extra else [])
                raise ValueError(f"{self.model_name} was compiled with the arguments {', '.join(self._input_names)}; "
                                 f"this call {' and '.join(problems)}: compile it again with example_inputs of this "
                                 "form")
        return {name: given[name] for name in self._engine_inputs}

    def forward(self, *args, **kwargs):
        inputs = self._inputs(args, kwargs)
        outputs = self._runner.run(inputs, classify(inputs))
        if self._returns_tuple:
            return tuple(outputs[name] for name in self._output_names)
        return outputs[self._output_names[0]]

    def extra_repr(self) -> str:
        return f"model={self.model_name}, inputs={self._input_names}, precision={self._runner.precision}"


def compile(model: torch.nn.Module, example_inputs, precision: str = "fp32", max_nodes: int | None = None,
            max_edges: int | None = None, max_graphs: int | None = None, opt_nodes: int | None = None,
            opt_edges: int | None = None, opt_graphs: int | None = None, cuda_graphs: bool = False,
            verbose: bool = False, calibration_inputs=None) -> CompiledModule:
    """Exports `model` (in eval mode) called on `example_inputs` (a tuple of tensors, or a dict by
    argument name) to ONNX with dynamic node and edge counts and builds a gnnrt engine for the
    example's device.

    precision: "fp32", "fp16" or "bf16" (node features stored in 16 bits, fp32 accumulation), or
        "int8" (int8 node features and weights, as `gnnrt build --int8`; docs/INT8.md).
    calibration_inputs: with "int8", the graphs to calibrate on: a list of example_inputs-like
        tuples or dicts (default: the example itself, as one graph).
    max_nodes / max_edges / max_graphs: the engine's profile (unbounded when not given): graphs
        beyond it are refused with the bound to raise.
    opt_nodes / opt_edges / opt_graphs: the graphs to optimise for (as trtexec's --optShapes): a
        CUDA engine times its SpMM tactics at these sizes; when not given the run-time heuristic
        chooses them (the example is often too small to be what the model serves).
    cuda_graphs: on the GPU, replay repeated calls on one graph as CUDA graphs.
    verbose: print the report (also in the returned module's `report` and logged to "gnnrt").

    Raises CompileError (a ValueError) when the model cannot be exported or gnnrt cannot run what
    was exported (unsupported operators: use torch.compile(model, backend="gnnrt") to run those
    in PyTorch).
    """
    if precision not in PRECISIONS + (INT8,):
        raise CompileError(f"gnnrt.compile: precision must be one of {', '.join(PRECISIONS + (INT8,))}, got "
                           f"{precision!r}")
    if calibration_inputs is not None and precision != INT8:
        raise CompileError("gnnrt.compile: calibration_inputs apply to precision='int8'")
    name = type(model).__name__
    signature, arguments = _arguments(model, example_inputs)
    calibration = None
    if precision == INT8:
        graphs = [example_inputs] if calibration_inputs is None else list(calibration_inputs)
        calibration = [dict(_arguments(model, graph)[1]) for graph in graphs]
    names, tensors = list(arguments), list(arguments.values())
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise CompileError(f"gnnrt.compile: the example inputs are on {', '.join(sorted(map(str, devices)))}; put them "
                           "on one device")
    was_training = model.training
    model.eval()
    folder = tempfile.mkdtemp(prefix="gnnrt-compile-")
    try:
        with torch.no_grad():
            expected = model(**arguments)
            output_names, returns_tuple = _output_names(expected, name)
            try:
                export = export_model(_named_call_module(model, names), tensors, names, output_names, folder)
            except ExportFailed as error:
                raise CompileError(f"gnnrt.compile could not export {name} to ONNX: {error}. Make the model "
                                   "exportable with torch.onnx.export, or run it with torch.compile(model, "
                                   "backend=\"gnnrt\"), which keeps what cannot be exported in PyTorch") from None
        unsupported = _gnnrt.find_unsupported_nodes(export.path)
        if unsupported:
            ops = sorted({op for _, op, _ in unsupported})
            raise CompileError(
                f"gnnrt.compile exported {name} ({export.exporter} exporter) but gnnrt cannot run "
                f"{len(unsupported)} of its ONNX nodes ({', '.join(ops)}):\n"
                + "\n".join(f"  {problem}" for _, _, problem in unsupported)
                + "\nRun the model with torch.compile(model, backend=\"gnnrt\"): the supported parts run in gnnrt "
                  "engines, the rest in PyTorch.")
        profile = {"max_nodes": max_nodes, "max_edges": max_edges, "max_graphs": max_graphs, "opt_nodes": opt_nodes,
                   "opt_edges": opt_edges, "opt_graphs": opt_graphs}
        runner = EngineRunner(export.path, precision, profile, cuda_graphs, calibration)
        kind = classify(dict(arguments))
        engine = runner.engine(kind.cuda_device)  # build errors surface now, not at the first call
        outputs = runner.run(dict(arguments), kind)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        model.train(was_training)

    expected = list(expected) if returns_tuple else [expected]
    differences = [float((outputs[n].float() - e.float()).abs().max()) if e.numel() else 0.0
                   for n, e in zip(output_names, expected)]
    dims = export.dynamic_dims
    opt_text = (f"opt_nodes={opt_nodes}, opt_edges={opt_edges}, opt_graphs={opt_graphs}"
                if (opt_nodes, opt_edges, opt_graphs) != (None, None, None)
                else "no opt sizes (CUDA tactics timed at the max bounds where given, else a run-time heuristic's)")
    lines = [f"gnnrt.compile: {name} exported with torch.onnx.export "
             f"({'dynamo=True, opset 18' if export.exporter == 'dynamo' else 'dynamo=False, opset 17'}, "
             "dynamic axes)",
             "  inputs: " + ", ".join(f"{n} {_describe(t, dims.get(n, {}))}" for n, t in arguments.items()),
             "  outputs: " + ", ".join(f"{n} {str(e.dtype).replace('torch.', '')}{list(e.shape)}"
                                       for n, e in zip(output_names, expected)) + " on the example",
             f"  engine: {engine.device}, {precision}, profile max_nodes={max_nodes}, max_edges={max_edges}, "
             f"max_graphs={max_graphs} (None: unbounded), {opt_text}; built for the other device on first use",
             "  on the example: largest difference from PyTorch " + ", ".join(f"{d:.3g}" for d in differences)]
    if set(engine.input_names) != set(names):
        lines.append(f"  the exporter kept the inputs {', '.join(engine.input_names)}: the others are not used")
    lines += [f"  note: {note}" for note in export.notes]
    report = "\n".join(lines)
    log.info("%s", report)
    if verbose:
        print(report)
    return CompiledModule(name, signature, names, list(engine.input_names), output_names, returns_tuple, runner,
                          folder, report)
