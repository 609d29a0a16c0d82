"""`opslab platform` refuses a port that something already answers on, before starting anything."""

from __future__ import annotations

import socket

import pytest

from webapp.launcher import run_platform


def test_a_busy_port_is_refused_with_what_to_do():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as e:
            run_platform("127.0.0.1", port)
    assert f"127.0.0.1:{port} is already in use" in str(e.value) and f"--port {port + 1}" in str(e.value)

