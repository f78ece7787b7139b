"""The ``platform_receive`` fuzz property's short run (``make fuzz`` runs it
coverage-guided for minutes): ``PlatformStream.receive`` over mutated app message
sequences raises only documented errors, refuses bad input without a trace and leaves no
checkpoint pending after a clear or the stream's end."""

from __future__ import annotations

from fuzz_platform_checks import platform_receive


def test_platform_receive_over_mutated_message_sequences() -> None:
    platform_receive(max_examples=100)()
