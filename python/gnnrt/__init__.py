"""gnnrt from Python: a TensorRT-style inference compiler and runtime for PyG models.

    import gnnrt
    fast = gnnrt.compile(model, (x, edge_index))       # export, build an engine, get a torch.nn.Module
    out = fast(x, edge_index)                           # CPU or CUDA tensors, zero-copy

Also: gnnrt.Engine (build / load / save / create_context().run(**inputs)) over the C++ API, and the
torch.compile backend "gnnrt" (torch.compile(model, backend="gnnrt")), which runs what gnnrt
supports in engines and the rest in PyTorch.
"""

from ._gnnrt import InternalError, InvalidInputError, built_with_cuda, find_unsupported_nodes
from .engine import Engine, ExecutionContext

__all__ = ["Engine", "ExecutionContext", "InvalidInputError", "InternalError", "built_with_cuda",
           "find_unsupported_nodes", "compile", "CompileError", "CompiledModule", "last_backend_report"]
__version__ = "0.1.0"


def __getattr__(name):
    # The torch-facing parts import torch, which is optional for Engine users: loaded on first use.
    if name in ("compile", "CompileError", "CompiledModule"):
        from . import compiler
        return getattr(compiler, name)
    if name == "last_backend_report":
        from . import dynamo_backend
        return dynamo_backend.last_backend_report
    raise AttributeError(f"module 'gnnrt' has no attribute {name!r}")
