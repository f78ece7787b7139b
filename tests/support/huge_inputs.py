"""Inputs that describe far more samples than memory holds, through every public call that
copies or sizes an output from its input.

With the argument ``limited``, it instead checks bytes-like PCM under an address-space limit
(``check_limited``).

Run as a script by ``test_no_abort.py`` in a subprocess, so an abort fails that test instead
of killing the test runner. Two kinds of input cost no memory: numpy views with a stride of 0
(``np.broadcast_to``; any copy of them is larger than an address space) and read-only,
anonymous mappings (contiguous, read as zeros, 32 TiB long). Each call must raise
``ArgumentError`` before touching more than a few samples.

The mapped inputs make outputs that exceed the memory the kernel allows in one allocation
(its default heuristic and strict modes refuse them); with ``vm.overcommit_memory = 1`` such
an allocation can succeed and the call would run for days, so those cases run only when the
mode is not 1, and the script says which ran.
"""

from __future__ import annotations

import mmap
import resource
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

import audiofork as af

ULAW8K = af.MediaFormat("mulaw", 8000)
L16 = af.MediaFormat("l16", 8000)


def mapping() -> mmap.mmap:
    """32 TiB of read-only zeros that use no memory (a read-only mapping commits none)."""
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    return mmap.mmap(-1, 2**45, flags=flags, prot=mmap.PROT_READ)


def mapped(region: mmap.mmap, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    """A contiguous read-only array over ``region``, a ``mapping()`` (one is shared by every
    dtype: an address space holds only a few)."""
    return np.frombuffer(region, dtype)


def strided(dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    """A 1-D array of zeros, 2**62 bytes long, with a stride of 0: any copy exceeds an
    address space."""
    return np.broadcast_to(np.zeros(1, dtype), (2**62 // np.dtype(dtype).itemsize,))


def pcm_calls(x: object) -> dict[str, Callable[[], object]]:
    """Every call taking PCM, on input ``x``."""
    return {
        "resample": lambda: af.resample(x, 8000, 48000),
        "Resampler.process": lambda: af.Resampler(8000, 48000).process(x),
        "ulaw_encode": lambda: af.ulaw_encode(x),
        "alaw_encode": lambda: af.alaw_encode(x),
        "l16_encode": lambda: af.l16_encode(x),
        "encode_payload(mulaw)": lambda: af.encode_payload(x, ULAW8K),
        "encode_payload(l16)": lambda: af.encode_payload(x, L16),
        "Ring.write": lambda: af.Ring(16).write(x),
        "OutboundEncoder.push": lambda: af.OutboundEncoder(ULAW8K, "s").push(x, 8000),
    }


def bytes_calls(data: object) -> dict[str, Callable[[], object]]:
    """Every call taking bytes-like data, on ``data``."""
    return {
        "ulaw_decode": lambda: af.ulaw_decode(data),
        "alaw_decode": lambda: af.alaw_decode(data),
        "l16_decode": lambda: af.l16_decode(data),
        "resample(bytes-like)": lambda: af.resample(data, 8000, 16000),
    }


def cases() -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {}
    for dtype in (np.int16, np.float32, np.float64):
        found |= {f"{k} strided {dtype.__name__}": f for k, f in pcm_calls(strided(dtype)).items()}
    view = memoryview(strided(np.uint8))  # type: ignore[arg-type]
    found |= {f"{k} strided memoryview": f for k, f in bytes_calls(view).items()}
    if Path("/proc/sys/vm/overcommit_memory").read_text().strip() != "1":
        found |= {
            f"{k} mapped memoryview": f for k, f in bytes_calls(memoryview(mapping())).items()
        }
        region = mapping()
        for dtype in (np.int16, np.float32, np.float64):
            for name, call in pcm_calls(mapped(region, dtype)).items():
                if name != "Ring.write":  # a ring's memory grows only as far as its capacity
                    found[f"{name} mapped {dtype.__name__}"] = call
    return found


def vm_size() -> int:
    """This process's address space, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


def check_limited() -> None:
    """Bytes-like PCM of ``N`` bytes under an address-space limit with room for ``1.75 N``
    more: enough for the samples (``N``) and the μ-law output (``N / 2``), not for a second
    copy besides. ``bytes`` and ``bytearray`` are decoded in place, so they encode; a
    ``memoryview`` is copied first, so it must be refused with ``ArgumentError``. A
    copy taken without a checked allocation would abort instead."""
    size = 256 * 2**20
    for kind in (bytes, bytearray, memoryview):
        data = kind(bytes(size))
        limit = vm_size() + size * 7 // 4
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
        try:
            encoded = af.ulaw_encode(data)
        except af.ArgumentError:
            if kind is not memoryview:
                raise
        else:
            assert kind is not memoryview, "memoryview encoded beyond its limit"
            assert len(encoded) == size // 2
            del encoded
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
        del data
    sys.stdout.write("checked bytes-like PCM under an address-space limit\n")


def main() -> None:
    if sys.argv[1:] == ["limited"]:
        check_limited()
        return
    checked = cases()
    for name, call in checked.items():
        try:
            call()
        except af.ArgumentError:
            continue
        raise AssertionError(f"{name}: no ArgumentError")
    sys.stdout.write(f"checked {len(checked)} huge inputs: {', '.join(checked)}\n")


if __name__ == "__main__":
    main()
