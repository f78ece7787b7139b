"""Message round trips per second over each transport, on loopback, in one run.

Each server (benches/echo_servers.py) runs in its own process, so it has a core to itself
while this process drives it. A lean client sends a 20 ms μ-law ``media`` message and waits
for the answer, one message in flight: per transport, the bare echo (the transport's own
cost) against ``AudioStream`` echoing the audio (``playAudio``), i.e. what a voice app
adds. Besides the round-trip time, the server's own CPU time per round trip is read from
``/proc/<pid>/stat`` (``extra_info["server_cpu_us"]``), which the client does not blur.

The client is a blocking socket with the framing written out (``LeanClient``): no event
loop, no thread. Its own CPU time per round trip is reported beside the server's
(``extra_info["client_cpu_us"]``).
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.utils import accept_key, apply_mask, generate_key

from audiofork import wire
from bench_pipeline import MEDIA, STREAM_ID, ULAW8K
from echo_servers import APPS, TRANSPORTS

ROUND_TRIPS = 100  # per timed call
START = wire.start(STREAM_ID, ULAW8K, call_id="5401fd2e-6344-40df-a22c-c8ffea7a92e7")
SERVER = Path(__file__).with_name("echo_servers.py")
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


class LeanClient:
    """A blocking WebSocket client for one connection, text messages only.

    The framing (RFC 6455 §5) is written out here rather than taken from a client library:
    websockets' sans-I/O protocol over the same socket cost about 50 µs of client CPU per
    round trip, half of what the servers spend, and blurred the comparison; this costs
    about half that, mostly the socket's system calls. The handshake's key and the masking
    come from websockets.
    """

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""
        key = generate_key()
        self.sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        assert accept_key(key).encode() in head, head

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self._buffer += data

    def _take(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill()
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + apply_mask(payload, mask))

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def receive(self) -> str:
        """The next text message; pings are answered on the way."""
        while True:
            first, second = self._take(2)
            n = second & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._take(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._take(8))
            payload = self._take(n)
            opcode = first & 0x0F
            if opcode == 0x1:
                assert first & 0x80, "the echo servers send whole messages"
                return payload.decode()
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                raise ConnectionError(f"the server closed the connection: {payload!r}")

    def close(self) -> None:
        self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime


@pytest.fixture(scope="module", params=[(t, a) for t in TRANSPORTS for a in APPS], ids="-".join)
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    transport, app = request.param
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore::DeprecationWarning", str(SERVER), transport, app],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.port = int(process.stdout.readline())  # type: ignore[attr-defined]
        yield transport, app, process
    finally:
        process.terminate()
        process.wait(10)


def test_round_trip(benchmark, server) -> None:  # type: ignore[no-untyped-def]
    transport, app, process = server
    label = "audiofork_AudioStream" if app == "audiofork" else "peer_bare_echo"
    benchmark.group = f"transport {transport}: 20 ms media message -> answer, round trip"
    benchmark.name = f"test_round_trip[{label}-{transport}]"
    client = LeanClient(process.port)
    client.send(START)
    if app == "bare":
        assert client.receive() == START
    answer = "playAudio" if app == "audiofork" else "media"
    client.send(MEDIA[0])
    assert f'"event":"{answer}"' in client.receive().replace(" ", "")
    round_trips = 0

    def run() -> None:
        nonlocal round_trips
        for message in MEDIA[:ROUND_TRIPS]:
            client.send(message)
            client.receive()
        round_trips += ROUND_TRIPS

    cpu_before, client_before = cpu_seconds(process.pid), time.process_time()
    benchmark(run)
    server_cpu = cpu_seconds(process.pid) - cpu_before
    client_cpu = time.process_time() - client_before
    client.close()
    benchmark.extra_info.update(
        frames=ROUND_TRIPS,
        transport=transport,
        app=app,
        server_cpu_us=server_cpu / round_trips * 1e6,
        client_cpu_us=client_cpu / round_trips * 1e6,
        round_trips=round_trips,
    )
