"""copy_out's tar extraction: absolute links inside the copied folder kept (made relative),
links that leave it refused."""

from __future__ import annotations

import io
import tarfile

import pytest

from infra.archive import extract_archive


def _tar(*members: tuple[str, str | None]) -> list[bytes]:
    """A tar of `nginx/...` entries: (name, link target) for links, (name, None) for files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, target in members:
            info = tarfile.TarInfo(name)
            if target is None:
                info.size = 5
                tar.addfile(info, io.BytesIO(b"hello"))
            else:
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
    return [buf.getvalue()]


def test_an_absolute_link_inside_the_copied_folder_is_kept_relative(tmp_path):
    chunks = _tar(("nginx/sites-available/acme", None),
                  ("nginx/sites-enabled/acme", "/etc/nginx/sites-available/acme"))
    extract_archive(chunks, tmp_path, src="/etc/nginx")
    link = tmp_path / "nginx" / "sites-enabled" / "acme"
    assert link.is_symlink() and str(link.readlink()) == "../sites-available/acme"
    assert link.read_bytes() == b"hello"


@pytest.mark.parametrize("target", ["/root/evil.conf", "/etc/nginxx/a", "/etc/nginx/../../root/x"])
def test_a_link_leaving_the_copied_folder_is_refused(tmp_path, target):
    with pytest.raises(tarfile.FilterError):
        extract_archive(_tar(("nginx/x.conf", target)), tmp_path, src="/etc/nginx")
