"""The torch.compile backend's second step: the ATen graph split into blocks gnnrt runs, each an
engine, and the rest, which stays in PyTorch (as Torch-TensorRT partitions: min_block_size,
torch_executed_ops). Every block is exported to ONNX on its own, built, and checked against
PyTorch on the example call before it replaces its nodes; a block that fails any step stays in
PyTorch, with the reason in the report."""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass, field

import torch
import torch.fx
from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner, Partition
from torch.fx.passes.operator_support import OperatorSupportBase

from .engine_runner import EngineRunner
from .onnx_export import first_line, quiet


def op_name(node: torch.fx.Node) -> str:
    """'aten.sin.default' for ATen ops, the function's name otherwise."""
    target = node.target
    if isinstance(target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return str(target)
    return getattr(target, "__name__", str(target))


def is_compute(node: torch.fx.Node) -> bool:
    """Nodes that count towards min_block_size and the fallback report: tensor operations, not the
    tuple indexing and symbolic size arithmetic around them."""
    if node.op != "call_function" or node.target is operator.getitem:
        return False
    value = node.meta.get("val")
    return isinstance(value, torch.Tensor) or (isinstance(value, (tuple, list)) and
                                               any(isinstance(v, torch.Tensor) for v in value))


def matches(name: str, patterns: list[str]) -> bool:
    """torch_executed_ops entries: 'aten.sin.default', 'aten.sin' (every overload) or 'torch.ops.aten.sin'."""
    for pattern in patterns:
        pattern = pattern[len("torch.ops."):] if pattern.startswith("torch.ops.") else pattern
        if name == pattern or name.startswith(pattern + "."):
            return True
    return False


@dataclass
class Fallback:
    node: str
    op: str
    reason: str


@dataclass
class Block:
    name: str
    ops: list[str]
    onnx_path: str
    device: str
    max_abs_error: float | None = None


@dataclass
class Partitioned:
    module: torch.fx.GraphModule
    blocks: list[Block] = field(default_factory=list)
    fallbacks: list[Fallback] = field(default_factory=list)


class _Supported(OperatorSupportBase):
    def __init__(self, refused: dict[torch.fx.Node, str]):
        super().__init__()
        self.refused = refused

    def is_node_supported(self, submodules, node: torch.fx.Node) -> bool:
        return node.op in ("call_function", "get_attr") and node not in self.refused


class EngineBlock(torch.nn.Module):
    """A block of the graph run by a gnnrt engine: positional tensors in, a tuple of tensors out."""

    def __init__(self, runner: EngineRunner, input_names: list[str], output_names: list[str], returns_tuple: bool):
        super().__init__()
        self.runner = runner
        self.input_names = input_names
        self.output_names = output_names
        self.returns_tuple = returns_tuple

    def forward(self, *tensors):
        outputs = self.runner.run(dict(zip(self.input_names, tensors)))
        if self.returns_tuple:
            return tuple(outputs[name] for name in self.output_names)
        return outputs[self.output_names[0]]


def _is_size_computation(node: torch.fx.Node) -> bool:
    """Symbolic size arithmetic (sym_size, sym_sum, SymInt + SymInt, ...): cheap, and never a tensor."""
    value = node.meta.get("val")
    return node.op == "call_function" and isinstance(value, (torch.SymInt, torch.SymBool, torch.SymFloat, int, bool,
                                                             float))


def _give_each_user_its_sizes(module: torch.fx.GraphModule) -> None:
    """Copies every size computation for each of its users, so that a block computes the sizes it
    needs from tensors itself and no block passes a size to another (an engine's inputs and
    outputs are tensors). Backwards, so that the copies' own arguments are copied in turn."""
    graph = module.graph
    for node in reversed(list(graph.nodes)):
        if not _is_size_computation(node):
            continue
        for user in list(node.users)[1:]:
            with graph.inserting_before(user):
                copy = graph.node_copy(node)
            user.replace_input_with(node, copy)
    module.recompile()


def _tensor_valued(node) -> bool:
    return isinstance(node, torch.fx.Node) and isinstance(node.meta.get("val"), torch.Tensor)


def _block_inputs_outputs(module: torch.fx.GraphModule, call: torch.fx.Node) -> tuple[list, bool]:
    submodule = getattr(module, call.target)
    output = next(n for n in submodule.graph.nodes if n.op == "output")
    results = output.args[0]
    returns_tuple = isinstance(results, (tuple, list))
    return list(results) if returns_tuple else [results], returns_tuple


def _record_block_calls(module: torch.fx.GraphModule, example: list, names: set[str]) -> dict:
    """The tensors each block gets and returns on the example call."""
    seen = {}

    class Recorder(torch.fx.Interpreter):
        def call_module(self, target, args, kwargs):
            result = super().call_module(target, args, kwargs)
            if target in names:
                seen[target] = (args, result)
            return result

    with torch.no_grad():
        Recorder(module).run(*example)
    return seen


def _export_block(submodule: torch.fx.GraphModule, args, output_count: int, folder: str) -> str:
    path = os.path.join(folder, "model.onnx")
    shapes = []
    for node in (n for n in submodule.graph.nodes if n.op == "placeholder"):
        fake = node.meta.get("val")
        shapes.append({axis: torch.export.Dim.DYNAMIC for axis, size in enumerate(getattr(fake, "shape", ()))
                       if isinstance(size, torch.SymInt)} or None)
    with quiet():
        # torch.export first (non-strict: the block is ATen already), then ONNX from the program.
        copies = tuple(a.detach().clone() for a in args)  # export marks the tensors it traces
        exported = torch.export.export(submodule, copies, dynamic_shapes=tuple(shapes), strict=False)
        torch.onnx.export(exported, f=path, dynamo=True, opset_version=18, external_data=True,
                          input_names=[f"in{i}" for i in range(len(args))],
                          output_names=[f"out{i}" for i in range(output_count)])
    return path


def _close(actual, expected, precision: str) -> tuple[bool, float]:
    actual, expected = actual.detach().float().cpu(), expected.detach().float().cpu()
    if actual.shape != expected.shape:
        return False, float("inf")
    if actual.numel() == 0:
        return True, 0.0
    error = float((actual - expected).abs().nan_to_num(0.0).max())
    same_nans = bool((actual.isnan() == expected.isnan()).all())
    if precision != "fp32":
        return same_nans, error  # 16-bit storage: the report gives the difference, no bound applies
    return same_nans and bool(torch.allclose(actual, expected, atol=1e-4, rtol=1e-3, equal_nan=True)), error


def _refusals(module: torch.fx.GraphModule, unsupported: dict[str, str],
              torch_executed_ops: list[str]) -> dict[torch.fx.Node, str]:
    """The nodes that must run in PyTorch, with the reason."""
    refused = {}
    for node in module.graph.nodes:
        if node.op != "call_function":
            continue
        if node.name in unsupported:
            refused[node] = f"gnnrt does not support it: {unsupported[node.name]}"
        elif matches(op_name(node), torch_executed_ops):
            refused[node] = "listed in torch_executed_ops"
    return refused


class _BlockRefused(Exception):
    """This block stays in PyTorch; the message is the reason."""


def _engine_block(fused: torch.fx.GraphModule, call: torch.fx.Node, recorded: dict, precision: str,
                  folder: str) -> tuple[EngineBlock, Block]:
    """The engine that replaces the block `call` runs, built and checked on the example call."""
    name = str(call.target)
    submodule = getattr(fused, name)
    outputs, returns_tuple = _block_inputs_outputs(fused, call)
    if not all(_tensor_valued(a) for a in call.args) or not all(_tensor_valued(o) for o in outputs):
        raise _BlockRefused("its block passes a symbolic size or a non-tensor value across its boundary")
    args, expected = recorded[name]
    try:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        path = _export_block(submodule, args, len(outputs), os.path.join(folder, name))
        engine = EngineBlock(EngineRunner(path, precision), [f"in{i}" for i in range(len(args))],
                             [f"out{i}" for i in range(len(outputs))], returns_tuple)
        actual = engine(*args)
    except Exception as failure:  # noqa: BLE001: a block gnnrt cannot take stays in PyTorch
        raise _BlockRefused(f"its block could not be exported or built ({first_line(failure)})") from failure
    pairs = zip(actual, expected) if returns_tuple else [(actual, expected)]
    checks = [_close(a, e, precision) for a, e in pairs]
    error = max((difference for _, difference in checks), default=0.0)
    if not all(ok for ok, _ in checks):
        raise _BlockRefused(f"its engine's result differs from PyTorch's on the example call (max abs {error:.3g})")
    ops = [op_name(n) for n in submodule.graph.nodes if is_compute(n)]
    device = "cuda" if any(a.is_cuda for a in args) else "cpu"
    return engine, Block(name, ops, path, device, error)


def partition(module: torch.fx.GraphModule, example: list, unsupported: dict[str, str], *, min_block_size: int,
              torch_executed_ops: list[str], precision: str, folder: str) -> Partitioned:
    """Replaces the blocks gnnrt supports by EngineBlocks; the result is called like `module`."""
    _give_each_user_its_sizes(module)
    refused = _refusals(module, unsupported, torch_executed_ops)
    partitioner = CapabilityBasedPartitioner(module, _Supported(refused), allows_single_node_partition=True)
    candidates = []
    for proposal in partitioner.propose_partitions():
        nodes = [n for n in module.graph.nodes if n in proposal.nodes]  # graph order
        compute = [n for n in nodes if is_compute(n)]
        if len(compute) >= min_block_size:
            candidates.append(nodes)
        else:
            for n in compute:
                refused[n] = f"its block has {len(compute)} op(s), fewer than min_block_size={min_block_size}"

    result = Partitioned(module)
    if candidates:
        result.module = partitioner.fuse_partitions([Partition(nodes=nodes) for nodes in candidates])
    fused = result.module
    calls = [n for n in fused.graph.nodes if n.op == "call_module" and str(n.target).startswith("fused_")]
    recorded = _record_block_calls(fused, example, {str(c.target) for c in calls}) if calls else {}
    for call in calls:
        try:
            engine, block = _engine_block(fused, call, recorded, precision, folder)
        except _BlockRefused as refusal:
            result.fallbacks += [Fallback(n.name, op_name(n), str(refusal))
                                 for n in getattr(fused, str(call.target)).graph.nodes if is_compute(n)]
            continue
        setattr(fused, block.name, engine)
        result.blocks.append(block)
    result.fallbacks += [Fallback(n.name, op_name(n), reason) for n, reason in refused.items() if is_compute(n)]
    fused.recompile()
    return result
