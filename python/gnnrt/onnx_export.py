"""torch.onnx.export of a PyG model with dynamic node and edge counts, the way the fixtures are
exported (python/export_pyg.py): the dynamo exporter first (the number of graphs in a batch stays
symbolic), the TorchScript exporter with dynamic_axes if dynamo fails. Says what it exported, and
why an exporter failed."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from dataclasses import dataclass, field

import torch

# PyG's argument names -> the dimensions that vary from graph to graph, named as gnnrt's
# profile shortcuts (--max-nodes, --max-edges) expect.
PYG_DYNAMIC_DIMS = {
    "x": {0: "num_nodes"}, "pos": {0: "num_nodes"}, "batch": {0: "num_nodes"}, "y": {0: "num_nodes"},
    "edge_index": {1: "num_edges"}, "edge_weight": {0: "num_edges"}, "edge_attr": {0: "num_edges"},
}


@dataclass
class Export:
    path: str                        # the ONNX file (weights beside it in path + ".data" for dynamo)
    exporter: str                    # "dynamo" or "torchscript"
    input_names: list[str]
    output_names: list[str]
    dynamic_dims: dict[str, dict[int, str]]
    notes: list[str] = field(default_factory=list)  # why dynamo was not used, what that implies


class ExportFailed(Exception):
    """Neither exporter could export the model; the message says what each reported."""


def first_line(error: BaseException, limit: int = 400) -> str:
    """The useful line of an exporter's (long) error message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for i, line in enumerate(lines[:-1]):
        if "Exception summary" in line:
            return f"{type(error).__name__}: {lines[i + 1]}"[:limit]
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:limit]


@contextlib.contextmanager
def quiet():
    """The exporters print progress and warnings; compile() reports what matters itself."""
    out, err = io.StringIO(), io.StringIO()
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo", "torch.fx",
                                                     "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def dynamic_dims_of(names: list[str], example: list[torch.Tensor]) -> dict[str, dict[int, str]]:
    """The varying dimensions of each input: PyG's names as PYG_DYNAMIC_DIMS says; another input's
    first dimension when it equals x's node count or edge_index's edge count (and not both)."""
    by_name = dict(zip(names, example))
    nodes = by_name["x"].shape[0] if "x" in by_name and by_name["x"].dim() > 0 else None
    edges = by_name["edge_index"].shape[1] if "edge_index" in by_name and by_name["edge_index"].dim() == 2 else None
    dims = {}
    for name, tensor in by_name.items():
        if name in PYG_DYNAMIC_DIMS:
            dims[name] = {axis: dim for axis, dim in PYG_DYNAMIC_DIMS[name].items() if axis < tensor.dim()}
        elif tensor.dim() > 0 and nodes != edges and tensor.shape[0] in (nodes, edges):
            dims[name] = {0: "num_nodes" if tensor.shape[0] == nodes else "num_edges"}
        else:
            dims[name] = {}
    return dims


def _remove(path: str) -> None:
    for leftover in (path, path + ".data"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)


def _export_dynamo(model, args, path, names, output_names, dims, min_size):
    shared = {}

    def dim(name):
        if name not in shared:
            shared[name] = torch.export.Dim(name, min=min_size) if min_size else torch.export.Dim(name)
        return shared[name]

    shapes = tuple({axis: dim(d) for axis, d in dims[name].items()} or None for name in names)
    torch.onnx.export(model, tuple(args), path, dynamo=True, opset_version=18, external_data=True,
                      input_names=names, output_names=output_names, dynamic_shapes=shapes)


@contextlib.contextmanager
def symbolic_pyg_sizes():
    """PyG's scatter takes a missing dim_size (global pooling without size=) as
    int(index.max()) + 1. On Python 3.12 torch.export cannot trace that int() of a data-dependent
    value (GuardOnDataDependentSymNode; 3.11 traces it). While this is active, every module's
    `scatter` of PyG takes the same size with .item(), which stays symbolic: the number of graphs
    in a batch is then an expression in the exported graph, as on 3.11. Eager results are the same."""
    try:
        from torch_geometric.utils import _scatter
    except ImportError:
        yield
        return
    original = _scatter.scatter

    def scatter(src, index, dim=0, dim_size=None, reduce="sum"):
        if dim_size is None and isinstance(index, torch.Tensor):
            dim_size = index.max().item() + 1 if index.numel() > 0 else 0
        return original(src, index, dim, dim_size, reduce)

    # PyG's own modules only: another module's lazy __getattr__ could import or raise.
    patched = [module for name, module in list(sys.modules.items())
               if name.split(".")[0] == "torch_geometric" and getattr(module, "scatter", None) is original]
    for module in patched:
        module.scatter = scatter
    try:
        yield
    finally:
        for module in patched:
            module.scatter = original


def _export_torchscript(model, args, path, names, output_names, dims):
    torch.onnx.export(model, tuple(args), path, dynamo=False, opset_version=17, input_names=names,
                      output_names=output_names, dynamic_axes={n: d for n, d in dims.items() if d})


def export_model(model: torch.nn.Module, args: list, names: list[str], output_names: list[str],
                 folder: str) -> Export:
    """Exports `model` called on `args` (tensors named `names`) to folder/model.onnx."""
    path = os.path.join(folder, "model.onnx")
    dims = dynamic_dims_of(names, args)
    errors = []
    # Dim(min=1) as export_pyg.py retries it: GATConv's `index.numel() == 0` needs num_nodes >= 1.
    # Then PyG's pooling sizes taken symbolically (symbolic_pyg_sizes), for Python 3.12.
    for min_size, symbolic_sizes in ((None, False), (1, False), (None, True)):
        try:
            with quiet(), (symbolic_pyg_sizes() if symbolic_sizes else contextlib.nullcontext()):
                _export_dynamo(model, args, path, names, output_names, dims, min_size)
            return Export(path, "dynamo", names, output_names, dims)
        except Exception as error:  # noqa: BLE001: any exporter failure means trying the next way
            how = " with Dim(min=1)" if min_size else " with PyG's sizes symbolic" if symbolic_sizes else ""
            errors.append(f"dynamo exporter{how}: {first_line(error)}")
            _remove(path)
    try:
        with quiet():
            _export_torchscript(model, args, path, names, output_names, dims)
    except Exception as error:  # noqa: BLE001
        errors.append(f"TorchScript exporter: {first_line(error)}")
        _remove(path)
        raise ExportFailed("; ".join(errors)) from error
    notes = [f"the dynamo exporter failed ({errors[0]}), so the TorchScript exporter was used"]
    if "batch" in names:
        notes.append("the TorchScript exporter freezes the number of graphs in a batch (PyG's batch.max() + 1) "
                     "into the file: batches of another graph count are refused; pass size= to global pooling "
                     "or make the dynamo exporter work to lift that")
    return Export(path, "torchscript", names, output_names, dims, notes)
