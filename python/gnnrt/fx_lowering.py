"""The torch.compile backend's first step: a graph captured by dynamo, lowered to one ATen graph
(torch.export, the ONNX exporter's decompositions), and what gnnrt supports of it.

Support is gnnrt's own answer, not a table kept here: the whole graph is exported to ONNX once,
gnnrt lists the ONNX nodes it cannot import (gnnrt.find_unsupported_nodes, the importer's check),
and the exporter's node metadata (pkg.torch.onnx.fx_node) names the ATen node each came from."""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field

import torch
import torch.fx

from . import _gnnrt
from .onnx_export import quiet

FX_NODE_KEY = "pkg.torch.onnx.fx_node"
_FX_NODE_NAME = re.compile(r"%(\S+) :")
# Runtime checks torch.export inserts; they only read symbolic sizes, which gnnrt's own input
# checks cover, and they would otherwise pull those sizes out of every engine block.
ASSERTION_TARGETS = {"_assert_scalar", "_assert_tensor_metadata", "sym_constrain_range", "sym_constrain_range_for_size",
                     "_assert_async"}


class LoweringFailed(Exception):
    """The captured graph could not be lowered or exported; the message says why."""


@dataclass
class Lowered:
    module: torch.fx.GraphModule      # the ATen graph (weights as attributes), called on the user inputs
    user_inputs: list[int]            # positions of the dynamo graph's arguments it takes
    example: list[torch.Tensor]       # those arguments on the example call
    unsupported: dict[str, str] = field(default_factory=dict)  # ATen node name -> why gnnrt cannot run it


def _is_weight(node: torch.fx.Node, value) -> bool:
    """dynamo passes parameters and buffers as graph inputs (L_self_..._parameters_weight_)."""
    return isinstance(value, torch.nn.Parameter) or "_buffers_" in str(node.target)


def _same_symbol(a, b) -> bool:
    return isinstance(a, torch.SymInt) and isinstance(b, torch.SymInt) and a.node.expr == b.node.expr


def _tensor_inputs_only(gm: torch.fx.GraphModule, example_inputs: list) -> tuple[torch.fx.GraphModule, list[int]]:
    """A copy of the dynamo graph that takes only tensors: weights become attributes (frozen into the
    engines, as Torch-TensorRT freezes them) and symbolic sizes (dynamic shapes) are read from the
    tensors that carry them."""
    graph = copy.deepcopy(gm.graph)  # dynamo runs `gm` itself if lowering fails
    module = torch.fx.GraphModule(gm, graph)
    placeholders = [node for node in graph.nodes if node.op == "placeholder"]
    if len(placeholders) != len(example_inputs):
        raise LoweringFailed(f"the graph has {len(placeholders)} inputs but the call gave {len(example_inputs)}")
    tensors = [(node, node.meta.get("example_value")) for node, value in zip(placeholders, example_inputs)
               if isinstance(value, torch.Tensor) and not _is_weight(node, value)]
    keep = []
    for index, (node, value) in enumerate(zip(placeholders, example_inputs)):
        if isinstance(value, torch.Tensor):
            if not _is_weight(node, value):
                keep.append(index)
                continue
            name = f"_gnnrt_weight_{index}"
            module.register_buffer(name, value.detach())
            with graph.inserting_before(node):
                constant = graph.get_attr(name)
            constant.meta = dict(node.meta)
        else:
            symbol = node.meta.get("example_value")
            source = next(((tensor_node, axis) for tensor_node, fake in tensors if isinstance(fake, torch.Tensor)
                           for axis, size in enumerate(fake.shape) if _same_symbol(size, symbol)), None)
            if source is None:
                raise LoweringFailed(f"the graph takes the symbolic size {node.target} ({symbol}), which is the size "
                                     "of none of its tensor inputs")
            with graph.inserting_after(source[0]):
                constant = graph.call_function(torch.ops.aten.sym_size.int, source)
        node.replace_all_uses_with(constant)
        graph.erase_node(node)
    graph.lint()
    module.recompile()
    return module, keep


def _dynamic_shapes(module: torch.fx.GraphModule):
    """Dim.DYNAMIC for every dimension dynamo captured as symbolic."""
    shapes = []
    for node in module.graph.nodes:
        if node.op == "placeholder":
            fake = node.meta.get("example_value")
            dims = {axis: torch.export.Dim.DYNAMIC for axis, size in enumerate(getattr(fake, "shape", ()))
                    if isinstance(size, torch.SymInt)}
            shapes.append(dims or None)
    return tuple(shapes)


def _drop_assertions(module: torch.fx.GraphModule) -> None:
    graph = module.graph
    for node in list(graph.nodes):
        if node.op == "call_function" and getattr(node.target, "__name__", "").split(".")[0] in ASSERTION_TARGETS:
            graph.erase_node(node)
        elif node.op == "call_module" and str(node.target) == "_guards_fn":
            graph.erase_node(node)  # ep.module()'s input guards: dynamo's guards have checked them
    graph.eliminate_dead_code()
    module.recompile()


def lower(gm: torch.fx.GraphModule, example_inputs: list, folder: str) -> Lowered:
    """The ATen graph of a dynamo graph and the nodes gnnrt cannot run (by gnnrt's importer)."""
    module, keep = _tensor_inputs_only(gm, example_inputs)
    example = [example_inputs[i] for i in keep]
    path = os.path.join(folder, "graph.onnx")
    try:
        with quiet():
            # Copies: export marks the tensors it traces, and dynamo's guards read the marks on the caller's.
            copies = tuple(t.detach().clone() for t in example)
            exported = torch.export.export(module, copies, dynamic_shapes=_dynamic_shapes(module), strict=False)
            program = torch.onnx.export(exported, f=path, dynamo=True, opset_version=18, external_data=True)
    except Exception as error:  # noqa: BLE001: the reason goes into the report
        from .onnx_export import first_line
        raise LoweringFailed(f"the graph could not be exported to ONNX ({first_line(error)})") from error
    aten = program.exported_program.module()
    _drop_assertions(aten)
    onnx_nodes = {node.name: node for node in program.model_proto.graph.node}
    unsupported = {}
    for name, op_type, problem in _gnnrt.find_unsupported_nodes(path):
        fx_text = {p.key: p.value for p in onnx_nodes[name].metadata_props}.get(FX_NODE_KEY, "") \
            if name in onnx_nodes else ""
        match = _FX_NODE_NAME.match(fx_text)
        if not match:
            raise LoweringFailed(f"gnnrt cannot import the ONNX node {name} ({op_type}) and the exporter did not say "
                                 "which ATen node it came from")
        unsupported.setdefault(match.group(1), problem)
    return Lowered(aten, keep, example, unsupported)
