"""What kind of arrays a call got (numpy or torch, host or CUDA), so that the outputs come back
as the same kind, and the CUDA stream torch is working on. torch is optional: without it every
array is a numpy array (or another DLPack producer, treated like one)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

# Output kinds, as the extension module numbers them (bindings/dlpack_tensors.h: Framework).
NUMPY, TORCH = 0, 1


@dataclass(frozen=True)
class CallKind:
    framework: int     # NUMPY or TORCH: what the outputs become
    cuda_device: int   # the CUDA device of the inputs, or -1 when every input is in host memory


def _torch():
    """torch if it is imported already: no torch tensor can exist before it is."""
    return sys.modules.get("torch")


def classify(inputs: dict) -> CallKind:
    """The outputs' framework (torch when any input is a torch tensor) and the inputs' CUDA device.
    Raises ValueError for inputs on two different CUDA devices."""
    torch = _torch()
    framework, cuda_device = NUMPY, -1
    for name, value in inputs.items():
        if torch is not None and isinstance(value, torch.Tensor):
            framework = TORCH
            if value.is_cuda:
                index = value.get_device()  # an int, without making a torch.device per call
                if cuda_device not in (-1, index):
                    raise ValueError(f"input '{name}' is on cuda:{index} but another input is on cuda:{cuda_device}; "
                                     "put every input on one device")
                cuda_device = index
    return CallKind(framework, cuda_device)


def as_dlpack(inputs: dict) -> dict:
    """The inputs as the extension module reads them: torch tensors as DLPack capsules
    (torch.utils.dlpack.to_dlpack), detached (gnnrt only reads them) and contiguous; other arrays
    as they are. A capsule is read without calling back into Python, where a tensor's __dlpack__
    method would look up CUDA streams on every call; the engine's work is ordered after torch's
    current stream by the context instead (ExecutionContext.set_stream)."""
    torch = _torch()
    if torch is None:
        return inputs
    to_dlpack = torch.utils.dlpack.to_dlpack
    converted = {}
    for name, value in inputs.items():
        if isinstance(value, torch.Tensor):
            if value.requires_grad:
                value = value.detach()
            if not value.is_contiguous():
                value = value.contiguous()
            value = to_dlpack(value)
        converted[name] = value
    return converted


def current_stream(cuda_device: int) -> int:
    """torch's current stream on `cuda_device`, as a cudaStream_t value (0: the legacy default stream)."""
    torch = _torch()
    if torch is None or not torch.cuda.is_initialized():
        return 0
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)  # no Stream object per call
    return raw(cuda_device) if raw is not None else torch.cuda.current_stream(cuda_device).cuda_stream
