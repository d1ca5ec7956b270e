"""The benchmark's own measuring tools: the load generator's HTTP client counts what the server
answered, and the result rows judge a figure against its target."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import parse_head, percentile, post_many, post_paced
from bench.report import Result


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([], 99) is None


def test_a_result_passes_or_fails_against_its_target():
    assert Result("inbox_api_p95_ms", 29.9, "ms", "<= 30").passed is True
    assert Result("inbox_api_p95_ms", 30.1, "ms", "<= 30").passed is False
    assert Result("inbound_messages_per_s", 432.0, "msg/s", ">= 500").passed is False
    assert Result("live_relay_p50_ms", 2.3, "ms", "").passed is None
    assert Result("sla", None, "s", "<= 10").row()["pass"] is None


def test_the_answer_head_is_read_or_refused():
    assert parse_head(b"HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n\r\n") == (202, 12, False)
    assert parse_head(b"HTTP/1.1 400 Bad\r\nconnection: close\r\ncontent-length: 0\r\n\r\n") == (
        400,
        0,
        True,
    )
    with pytest.raises(ValueError):
        parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(ValueError):
        parse_head(b"garbage\r\n\r\n")


async def _server(answers: list[bytes]):
    """A loopback server that reads one request at a time (head and Content-Length body) and
    sends the next of `answers`, closing the connection after an answer that says so."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                received.append(await reader.readexactly(length))
                answer = answers[(len(received) - 1) % len(answers)]
                writer.write(answer)
                await writer.drain()
                if b"close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/api/v1/inbound/email", received


ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"
REFUSED_AND_CLOSED = (
    b'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 17\r\n\r\n{"detail": "nee"}'
)


def test_post_many_counts_every_answer_and_reconnects_after_a_close():
    async def scenario():
        server, url, received = await _server([ACCEPTED, ACCEPTED, REFUSED_AND_CLOSED])
        bodies = [f"mail {i}".encode() for i in range(30)]
        async with server:
            sample = await post_many(
                url, bodies, headers={"Authorization": "Bearer x"}, concurrency=3, seconds=10
            )
        return sample, received

    sample, received = asyncio.run(scenario())
    assert sorted(received) == sorted(f"mail {i}".encode() for i in range(30))
    assert sample.statuses == {202: 20, 401: 10}
    assert len(sample.latencies_ms) == 30
    assert sample.errors and sample.errors[0].startswith("401:")


def test_post_paced_records_a_server_that_hangs_up_as_an_error():
    async def scenario():
        async def hang_up(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        async with server:
            return await post_paced(url, [b"x"] * 5, headers={}, rate=50, seconds=1)

    sample = asyncio.run(scenario())
    assert sample.statuses == {0: 5}
    assert sample.ok == 0


def test_the_bench_serves_with_as_many_processes_as_asked(monkeypatch, tmp_path):
    """BENCH_SERVER_PROCESSES=N: uvicorn runs N worker processes, as production runs several."""
    import bench.stack as stack

    started: list[list[str]] = []

    class Server:
        returncode = None

        def __init__(self, command, **kwargs):
            started.append(command)

        def poll(self):
            return None

    monkeypatch.setattr(stack, "VAR", tmp_path)
    monkeypatch.setattr(stack.subprocess, "Popen", Server)
    monkeypatch.setattr(stack.urllib.request, "urlopen", lambda *a, **k: None)

    monkeypatch.setenv("BENCH_SERVER_PROCESSES", "3")
    stack.Processes().start_server({})
    monkeypatch.delenv("BENCH_SERVER_PROCESSES")
    stack.Processes().start_server({})

    several, default = started
    assert several[several.index("--workers") + 1] == "3"
    assert default[default.index("--workers") + 1] == "1"
