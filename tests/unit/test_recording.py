"""Terminal recordings: valid asciicast v2, whole across reconnects, bounded whatever is sent."""

from __future__ import annotations

import json

from webapp.recording import Recorder


def events(path):
    lines = path.read_text().splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:]]


def test_a_recording_is_asciicast_v2_and_a_reconnect_appends(tmp_path):
    path = tmp_path / "s1" / "box.cast"
    rec = Recorder(path, 100, 30, "lab · box")
    rec.output(b"root@box:~# ")
    rec.input("ls\r")
    rec.output(b"\xe2\x9c")  # a character split across two reads…
    rec.output(b"\x94 done\r\n")  # …is recorded whole
    rec.close()
    again = Recorder(path, 120, 40, "lab · box")
    again.output(b"back\r\n")
    again.close()
    header, evs = events(path)
    assert header["version"] == 2 and (header["width"], header["height"]) == (100, 30)
    assert [e[1:] for e in evs] == [["o", "root@box:~# "], ["i", "ls\r"], ["o", "✔ done\r\n"],
                                    ["m", "reconnected"], ["r", "120x40"], ["o", "back\r\n"]]
    assert all(a[0] <= b[0] for a, b in zip(evs, evs[1:], strict=False))  # times only go forward


def test_endless_output_input_or_reconnects_stop_at_the_limit(tmp_path):
    path = tmp_path / "s2" / "box.cast"
    rec = Recorder(path, 80, 24, "t", max_bytes=100_000)
    for _ in range(1000):
        rec.output(b"y\n" * 500)
    assert 98_000 < path.stat().st_size <= 100_000  # up to the cap, the marker included
    for _ in range(1000):
        rec.input("x" * 500)
        rec.resize(80, 24)
    rec.close()
    for _ in range(100):  # reconnecting does not buy a fresh allowance
        again = Recorder(path, 80, 24, "t", max_bytes=100_000)
        again.input("x" * 500)
        again.output(b"more\n")
        again.close()
    assert 118_000 < path.stat().st_size <= 120_000
    _, evs = events(path)
    markers = [e[2] for e in evs if e[1] == "m"]
    assert markers[:2] == ["recording truncated: output limit reached", "recording truncated: input limit reached"]


def test_nothing_follows_a_truncation_marker(tmp_path):
    path = tmp_path / "s3" / "box.cast"
    rec = Recorder(path, 80, 24, "t", max_bytes=10_000)
    rec.output(b"a" * 5_000)
    rec.output(b"b" * 6_000)  # does not fit: the marker, and output stops here…
    rec.output(b"c" * 10)  # …even for a chunk that would still fit
    rec.close()
    _, evs = events(path)
    assert [e[1] for e in evs] == ["o", "m"] and "ccc" not in path.read_text()
