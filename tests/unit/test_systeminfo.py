"""The grader learns a sandbox's OS in one command, with the same answers as testinfra's."""

from __future__ import annotations

import testinfra

from grader.systeminfo import OneExecSystemInfo


def test_one_exec_system_info_matches_testinfra_locally():
    host = testinfra.get_host("local://")
    calls = []
    real_run = host.run

    def counting_run(*args, **kwargs):
        calls.append(args[0])
        return real_run(*args, **kwargs)

    host.run = counting_run
    mine = OneExecSystemInfo.get_module(host).sysinfo
    assert len(calls) == 1
    theirs = testinfra.get_host("local://").system_info.sysinfo
    assert mine == theirs


def test_a_long_word_in_a_command_is_no_tool_to_check():
    from grader.trust import forged_tools

    class Target:
        def is_changed(self, path, fresh=True):
            if any(len(part) > 255 for part in path.split("/")):
                raise OSError(36, "File name too long")
            return path == "/usr/bin/cat"

    assert forged_tools(Target(), "echo " + "QUJD" * 200 + " | base64 -d") == []
    assert forged_tools(Target(), "cat /etc/hostname") == ["cat"]
