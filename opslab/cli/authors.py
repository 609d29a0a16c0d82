"""For lab authors: `opslab lab list`, `lab show`, `lab validate`."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import click

from grader.params import describe
from grader.params import env as param_env
from opslab import engine
from opslab.cli.app import err, handle_errors, lab, table


@lab.command("list")
@handle_errors
def lab_list() -> None:
    """List the catalogue; a malformed lab shows INVALID and its first problem."""
    rows = []
    for lab_id in engine.lab_ids():
        try:
            lb = engine.find_lab(lab_id)
            s = lb.spec
            rows.append([s.id, s.difficulty, s.duration, str(lb.max_score), ",".join(s.skills), s.title])
        except engine.LabError as e:
            rows.append([lab_id, "INVALID", "", "", "", str(e).splitlines()[0][:200]])
    click.echo(table(rows, ["ID", "LEVEL", "TIME", "POINTS", "SKILLS", "TITLE"]) if rows else "no labs found")


@lab.command("new")
@click.argument("lab_id")
@handle_errors
def lab_new(lab_id: str) -> None:
    """Scaffold a lab folder in the catalogue that `opslab lab validate` passes unchanged."""
    from opslab.scaffold import new_lab

    dest = new_lab(engine.labs_root(), lab_id)
    err(f"created {dest}\n  edit lab.yaml, README.md, setup.sh, solution.sh, checks/ and cheats/ "
        f"(labs/README.md has the format), then prove it: opslab lab validate {lab_id}")


@lab.command("show")
@click.argument("lab_id")
@handle_errors
def lab_show(lab_id: str) -> None:
    """Show a lab's metadata, hosts, tasks and cheats."""
    lb = engine.find_lab(lab_id)
    s = lb.spec
    click.echo(f"{s.id}  ({lb.version})\n{s.title}\n{s.summary}\n")
    click.echo(f"skills: {', '.join(s.skills)}   difficulty: {s.difficulty}   duration: {s.duration}")
    for h in lb.hosts:
        r = h.resources
        click.echo(f"host {h.name}: {h.image or 'build ' + h.build}  cpus={r.cpus} memory={r.memory} pids={r.pids}")
    for name, p in s.params.items():
        click.echo(f"param {name}: {describe(p)}  (scripts: {param_env({name: ''}).popitem()[0]})")
    click.echo("")
    rows = [[t.id, str(t.points), str(len(lb.checks[t.id])), str(len(t.hints)), t.title] for t in s.tasks]
    click.echo(table(rows, ["TASK", "POINTS", "CHECKS", "HINTS", "TITLE"]))
    if lb.cheats:
        click.echo("\ncheats: " + ", ".join(f"{c.name} (targets {', '.join(c.targets)})" for c in lb.cheats))


@lab.command("validate")
@click.argument("lab_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("-j", "--jobs", default=2, show_default=True,
              help="Sandboxes proven at once, across labs (each draw, cheat and other-draw run has its own).")
@click.option("--draws", default=engine.DRAWS, show_default=True, type=click.IntRange(1, 20),
              help="Different parameter draws a lab with params: is proven on.")
@handle_errors
def lab_validate(lab_ids: tuple[str, ...], as_json: bool, jobs: int, draws: int) -> None:
    """Prove labs: setup scores 0, solution full marks, every cheat misses (all labs by default)."""
    ids = list(lab_ids) or engine.lab_ids()
    engine.provider()  # an unreachable engine fails once, here, not once per lab
    t0 = time.monotonic()
    # Two pools: a thread per lab only waits (and builds the lab's image); the sandboxes of
    # every lab share `jobs` workers, so a lab with many cheats is spread over all of them.
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as sandboxes, ThreadPoolExecutor(max_workers=len(ids) or 1) as labs:
        def map_units(units):
            return [f.result() for f in [sandboxes.submit(u) for u in units]]
        results = list(labs.map(lambda i: engine.validate_lab(i, progress=err, draws=draws, map_units=map_units), ids))
    elapsed = time.monotonic() - t0
    if as_json:
        click.echo(json.dumps({"ok": all(v.ok for v in results), "seconds": round(elapsed, 2),
                               "labs": [v.to_dict() for v in results]}, indent=2))
    else:
        rows = [[v.lab, s.name, s.expect, f"{s.score}/{s.max_score}", "ok" if s.ok else "FAIL", f"{s.seconds:.1f}s",
                 " ".join(f"{k}={val}" for k, val in s.params.items())]
                for v in results for s in v.steps]
        headers = ["LAB", "STEP", "EXPECT", "SCORE", "RESULT", "TIME", "PARAMS"]
        if not any(r[-1] for r in rows):  # no lab with parameters: no empty column
            rows, headers = [r[:-1] for r in rows], headers[:-1]
        click.echo(table(rows, headers))
        for v in results:
            for s in v.steps:
                if not s.ok:
                    click.echo(f"\n{v.lab} {s.name}: {s.problem}")
        click.echo(f"\n{sum(v.ok for v in results)} of {len(results)} labs valid in {elapsed:.1f}s")
    if not all(v.ok for v in results):
        sys.exit(1)
