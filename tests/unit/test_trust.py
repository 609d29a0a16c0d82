"""grader.trust's rules over a target whose changes are given (the engine's side is covered by
tests/integration/test_grading.py)."""

from __future__ import annotations

from pathlib import Path

from grader.trust import forged_tool_configs, forged_tools, tampered


class Changed:
    """A target where `paths` changed since the image (folders above them are in the layer too,
    as on overlay2) and `same` were written back byte for byte."""

    def __init__(self, *paths: str, same: tuple[str, ...] = ()):
        self.layer = {str(p) for path in paths + same for p in [Path(path), *Path(path).parents] if str(p) != "/"}
        self.same = set(same)

    def is_changed(self, path: str, fresh: bool = True) -> bool:
        return path in self.layer and path not in self.same

    def changed_paths(self) -> list[str]:
        return sorted(self.layer)


def test_a_library_anywhere_under_usr_lib_makes_the_host_untrusted():
    target = Changed("/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6", "/etc/nginx/nginx.conf")
    assert tampered(target) == ["/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6"]


def test_nss_and_pam_config_make_the_host_untrusted():
    target = Changed("/etc/nsswitch.conf", "/etc/environment", "/etc/pam.d/common-auth")
    assert tampered(target) == ["/etc/nsswitch.conf", "/etc/environment", "/etc/pam.d/common-auth"]


def test_files_written_back_and_resource_limits_do_not_count():
    target = Changed("/etc/security/limits.d/appsvc.conf", same=("/usr/lib/os-release",))
    assert tampered(target) == []


def test_a_tools_own_config_fails_only_the_commands_that_run_that_tool():
    target = Changed("/home/deploy/.curlrc", "/var/lib/postgresql/.psqlrc-15")
    assert forged_tool_configs(target, "/usr/bin/curl -q http://x/", target.changed_paths) == ["/home/deploy/.curlrc"]
    assert forged_tool_configs(target, "psql -c 'select 1'", target.changed_paths) == ["/var/lib/postgresql/.psqlrc-15"]
    assert forged_tool_configs(target, "/usr/bin/find /srv", target.changed_paths) == []


def test_a_changed_tool_is_named_under_either_merged_usr_name():
    target = Changed("/usr/bin/find")
    assert forged_tools(target, "/bin/find /srv -print") == ["/bin/find"]
    assert forged_tools(target, "find /srv") == ["find"]
    assert forged_tools(target, "/usr/local/bin/find /srv") == []
