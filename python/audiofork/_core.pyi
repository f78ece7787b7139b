"""Type stubs for the Rust extension module ``audiofork._core``."""

from typing import Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

__version__: str
__all__ = [
    "__version__",
    "alaw_decode",
    "alaw_encode",
    "bytes_per_sample",
    "check_byteorder",
    "decode_payload",
    "encode_payload",
    "l16_decode",
    "l16_encode",
    "parse_content_type",
    "ulaw_decode",
    "ulaw_encode",
]

class _HasFormat(Protocol):
    @property
    def encoding(self) -> str: ...
    @property
    def byteorder(self) -> str: ...

_PcmLike: TypeAlias = npt.NDArray[np.int16] | npt.NDArray[np.float32] | Buffer
_EncodingLike: TypeAlias = str | _HasFormat

def ulaw_encode(pcm: _PcmLike) -> bytes: ...
def alaw_encode(pcm: _PcmLike) -> bytes: ...
def ulaw_decode(data: Buffer) -> npt.NDArray[np.int16]: ...
def alaw_decode(data: Buffer) -> npt.NDArray[np.int16]: ...
def l16_encode(pcm: _PcmLike, byteorder: str = "little") -> bytes: ...
def l16_decode(data: Buffer, byteorder: str = "little") -> npt.NDArray[np.int16]: ...
def decode_payload(
    payload: str | Buffer, encoding: _EncodingLike, byteorder: str = "little"
) -> npt.NDArray[np.int16]: ...
def encode_payload(pcm: _PcmLike, encoding: _EncodingLike, byteorder: str = "little") -> str: ...
def parse_content_type(text: str) -> tuple[str, int | None]: ...
def bytes_per_sample(encoding: str) -> int: ...
def check_byteorder(byteorder: str) -> str: ...
