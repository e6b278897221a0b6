"""Where a profile runs: the device and dtype checked, the model placed there and put back.

Nothing here falls back: CUDA asked for and missing, or a dtype the device cannot run, is a
DeviceError that says so. A dtype is checked by running it (a tiny convolution, pooling and
linear layer on the device), not by a table of what should work. The model is moved by
swapping its tensors and swapped back afterwards, so a float32 model profiled in float16
gets its own float32 tensors back, bit for bit, and not a lossy round trip.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch
from torch import Tensor, nn

from gnet_inspect.errors import DeviceError
from gnet_inspect.measure.memory import is_out_of_memory
from gnet_inspect.measure.trace import kept_mode

__all__ = [
    "check_dtype",
    "check_forward",
    "device_name",
    "dtype_error",
    "out_of_memory_error",
    "placed",
    "running",
]


def check_dtype(device: torch.device, dtype: torch.dtype, train: bool = False) -> None:
    """Runs a tiny convolution, batch norm, max pool, average pool and linear layer in
    ``dtype`` on ``device`` (and, with ``train``, their backward pass); raises DeviceError with
    torch's reason if the device cannot run them."""
    try:
        with torch.enable_grad() if train else torch.inference_mode():
            x = torch.ones(2, 4, 8, 8, device=device, dtype=dtype)
            weight = torch.ones(4, 4, 3, 3, device=device, dtype=dtype, requires_grad=train)
            x = nn.functional.conv2d(x, weight, padding=1)
            if train:
                x = nn.functional.batch_norm(x, None, None, training=True)
            x = nn.functional.max_pool2d(x.relu(), 3, 2, ceil_mode=True)
            x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
            x = nn.functional.linear(x, torch.ones(2, 4, device=device, dtype=dtype))
            if train:
                target = torch.zeros(2, dtype=torch.long, device=device)
                nn.functional.cross_entropy(x, target).backward()  # type: ignore[no-untyped-call]
            if device.type == "cuda":
                torch.cuda.synchronize(device)
    except (RuntimeError, NotImplementedError) as exc:
        raise dtype_error(device, dtype, exc, None) from None


def dtype_error(
    device: torch.device, dtype: torch.dtype, exc: BaseException, block: str | None
) -> DeviceError:
    """The DeviceError for a dtype that ``device`` cannot run, with torch's one-line reason."""
    name = str(dtype).removeprefix("torch.")
    where = f" (in {block})" if block else ""
    return DeviceError(
        f"dtype {name} cannot run on {device}{where}: {_first_line(exc)}; "
        "use --dtype float32 or another device"
    )


def device_name(device: torch.device) -> str:
    """The processor's model name: the GPU's for CUDA, the CPU's (from /proc/cpuinfo) for cpu."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine() or "unknown CPU"


@contextmanager
def running(
    model: nn.Module,
    device: torch.device,
    dtype: torch.dtype,
    channels_last: bool,
    shape: tuple[int, int, int, int],
    train: bool = False,
) -> Iterator[Tensor]:
    """``model`` ready for timed inference (or, with ``train``, training steps), and a seeded
    random batch of ``shape`` for it.

    Inside the block the model is placed on ``device`` in ``dtype`` and a CUDA device is the
    current one (events record on its stream). For inference it is in eval mode with autograd
    off (``torch.inference_mode``). For training it is in training mode with autograd on, and
    it runs on copies of its tensors (an optimizer step and BatchNorm's statistics change
    them), with the random-number generators forked (dropout draws from them). A batch that
    does not fit in memory, here or in the block, raises DeviceError. Everything is put back
    when the block ends, however it ends.
    """
    current = torch.cuda.device(device) if device.type == "cuda" else nullcontext()
    grad = torch.enable_grad() if train else torch.inference_mode()
    rng = torch.random.fork_rng([device] if device.type == "cuda" else [])
    try:
        with (
            current,
            kept_mode(model, training=train),
            grad,
            rng,
            placed(model, device, dtype, channels_last, copy=train),
        ):
            generator = torch.Generator(device).manual_seed(0)
            x = torch.randn(shape, generator=generator, device=device, dtype=dtype)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x
    except (RuntimeError, MemoryError) as exc:
        if is_out_of_memory(exc):
            raise out_of_memory_error(device, shape[0], exc) from None
        raise


@contextmanager
def placed(
    model: nn.Module,
    device: torch.device,
    dtype: torch.dtype,
    channels_last: bool,
    copy: bool = False,
) -> Iterator[nn.Module]:
    """Puts ``model``'s floating-point tensors on ``device`` in ``dtype`` (4-d weights in
    channels-last order if asked) for the block, then gives every parameter, gradient and
    buffer its original tensor back, whatever happens inside. With ``copy`` every tensor is
    a new one even where it is already in place, so that changes inside never reach the
    originals."""
    memory_format = torch.channels_last if channels_last else torch.preserve_format

    def convert(tensor: Tensor) -> Tensor:
        return tensor.to(
            device=device,
            dtype=dtype if tensor.is_floating_point() else None,
            memory_format=memory_format if tensor.dim() == 4 else torch.preserve_format,
            copy=copy,
        )

    params = [(p, p.data, p.grad) for p in model.parameters()]
    buffers = [
        (module, name, buffer)
        for module in model.modules()
        for name, buffer in module.named_buffers(recurse=False)
    ]
    try:
        with torch.no_grad():
            for param, data, _ in params:
                param.data = convert(data)
                param.grad = None
            for module, name, buffer in buffers:
                setattr(module, name, convert(buffer))
        yield model
    finally:
        for param, data, grad in params:
            param.data = data
            param.grad = grad
        for module, name, buffer in buffers:
            setattr(module, name, buffer)


def out_of_memory_error(device: torch.device, batch_size: int, exc: BaseException) -> DeviceError:
    """The DeviceError for a batch that does not fit in ``device``'s memory."""
    match = re.search(r"[Tt]ried to allocate ([\d.]+) ?(\w+)", str(exc))
    amount = ""
    if match:
        number, unit = match.groups()
        if unit == "bytes":  # the CPU allocator's count: shown in GB, as CUDA's is in GiB
            number, unit = f"{int(number) / 1e9:.1f}", "GB"
        amount = f" (torch tried to allocate {number} {unit})"
    return DeviceError(
        f"batch size {batch_size} does not fit in {device} memory{amount}; "
        "use a smaller --batch-size"
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def check_forward(model: nn.Module, x: Tensor, row_ids: tuple[str, ...]) -> None:
    """Runs ``model`` on ``x`` once; a dtype that one of its operators lacks on this device
    (torch's NotImplementedError) becomes a DeviceError naming the row it happened in."""
    current: list[str] = []
    handles = [
        model.get_submodule(row).register_forward_pre_hook(lambda *_, row=row: current.append(row))
        for row in row_ids
    ]
    try:
        model(x)
    except NotImplementedError as exc:
        raise dtype_error(x.device, x.dtype, exc, current[-1] if current else None) from None
    finally:
        for handle in handles:
            handle.remove()
