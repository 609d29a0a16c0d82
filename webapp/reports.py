"""The report on one candidate's attempt, for the hiring team: scores per lab and task
(weighted, with practice-mode hint costs), per skill, time used and credited, the Checks in
order, the commands typed, integrity signals, and what was graded by which versions.

Built from the stored grades and the terminal recordings (asciicast v2); never shown to
the candidate.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from grader.skills import SKILLS
from webapp import assessments, invites, services
from webapp.models import Invite, LabSession, Mode, State, aware
from webapp.services import SessionError

PASTE_CHARS = 40  # one input event this long is a paste, not typing
_ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)")


def final_report(ls: LabSession) -> dict | None:
    g = next((g for g in ls.grades if g.final and g.report), None)
    return g.report if g else None


def ended(ls: LabSession | None) -> str:
    """How a lab ended, in words (the session's state is `destroyed` once it is graded)."""
    if ls is None:
        return "not reached"
    if ls.state == State.failed:
        return "the sandbox failed"
    if ls.ended_at is None:
        return "open"
    out = ls.deadline is not None and aware(ls.ended_at) >= aware(ls.deadline)
    return "time ran out" if out else "submitted"


@dataclass(frozen=True)
class Outline:
    title: str
    skills: list[str]
    hosts: list[str]
    tasks: list  # of objects with id, title, points


def lab_outline(lab_id: str, report: dict | None) -> Outline:
    """A lab's title, skills and hosts from the catalogue, its tasks as graded (the lab may
    have changed since); all from the graded report once the lab has left the catalogue."""
    graded = [SimpleNamespace(**t) for t in (report or {}).get("tasks", [])]  # the version graded
    try:
        lab = services.load_lab(lab_id)
    except SessionError:
        return Outline(lab_id, (report or {}).get("skills", []), [], graded)
    return Outline(lab.spec.title, lab.spec.skills, [h.name for h in lab.hosts], graded or lab.spec.tasks)


def lab_result(item: dict, sessions: list[LabSession], mode: Mode) -> dict:
    """One lab of the attempt: its last session's final grade, hint costs applied."""
    mine = [ls for ls in sessions if ls.lab_id == item["lab"]]
    ls = mine[-1] if mine else None
    report = final_report(ls) if ls else None
    lab = lab_outline(item["lab"], report)
    hints = (ls.hints_revealed or {}) if ls else {}
    tasks = []
    for t in lab.tasks:
        r = next((x for x in (report or {}).get("tasks", []) if x["id"] == t.id), None)
        earned = r["earned"] if r else 0
        cost = min(earned, math.ceil(t.points * assessments.HINT_COST * hints.get(t.id, 0))) \
            if mode == Mode.practice and r and r["passed"] else 0
        tasks.append({"id": t.id, "title": t.title, "points": t.points, "passed": bool(r and r["passed"]),
                      "earned": earned - cost, "hints": hints.get(t.id, 0), "hint_cost": cost,
                      "feedback": (r or {}).get("feedback", "")})
    score, top = sum(t["earned"] for t in tasks), sum(t["points"] for t in tasks)
    failures = [x for x in mine if assessments.platform_failed(x)]
    return {"lab": item["lab"], "title": lab.title, "skills": lab.skills, "weight": item["weight"],
            "session": ls.id if ls else None, "state": ended(ls),
            "score": score, "max_score": top, "percent": round(100 * score / top, 1) if top else 0.0,
            "graded": report is not None, "lab_version": (report or {}).get("lab_version"),
            "grader_version": (report or {}).get("grader_version"),
            "params": (report or {}).get("params") or {},  # this candidate's variant of the lab
            "hosts": lab.hosts, "tasks": tasks,
            "failures": [x.failure_reason or "the sandbox failed" for x in failures]}


def skill_scores(labs: list[dict]) -> dict[str, float]:
    """Per skill, the weighted mean percentage of the labs that claim it."""
    out = {}
    for skill in SKILLS:
        mine = [lab for lab in labs if skill in lab["skills"]]
        if mine:
            out[skill] = round(sum(lab["percent"] * lab["weight"] for lab in mine) / sum(lab["weight"] for lab in mine), 1)
    return out


_KIND = re.compile(r'^\[[-+.\deE]+, "(\w)"')


def read_cast(path: Path, kinds: str = "im") -> list[list]:
    """The events of those kinds in an asciicast v2 file (header skipped; a torn last line
    ignored). Output is most of a recording (up to 50 MiB): its lines are skipped unparsed."""
    if not path.is_file():
        return []
    events = []
    with path.open(encoding="utf-8", errors="replace") as f:
        f.readline()
        for line in f:
            kind = _KIND.match(line)
            if kind is None or kind.group(1) not in kinds:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, list) and len(ev) == 3:
                events.append(ev)
    return events


def commands(events: list[list]) -> list[dict]:
    """The lines typed (input events up to each Enter), with their time; editing keys applied
    roughly (backspace deletes, Ctrl-C and Ctrl-U drop the line, other escapes are ignored)."""
    out, line, start = [], "", None
    for t, kind, data in events:
        if kind != "i":
            continue
        for ch in _ESCAPES.sub("", data):
            if ch in "\r\n":
                if line.strip():
                    out.append({"at": round(start if start is not None else t, 1), "text": line})
                line, start = "", None
            elif ch in "\x7f\b":
                line = line[:-1]
            elif ch in "\x03\x15":
                line, start = "", None
            elif ch.isprintable() or ch == "\t":
                start = t if start is None else start
                line += ch
    if line.strip():
        out.append({"at": round(start, 1), "text": line + "  (not entered)"})
    return out


def integrity(events: list[list]) -> dict:
    pastes = [{"at": round(t, 1), "chars": len(d), "preview": _ESCAPES.sub("", d)[:80]}
              for t, k, d in events if k == "i" and len(d) >= PASTE_CHARS]
    reconnects = sum(1 for _t, k, d in events if k == "m" and d.startswith("reconnected"))
    return {"large_pastes": pastes, "reconnects": reconnects}


def build(s, inv: Invite, recordings: Path) -> dict:
    """Everything the report page, its JSON and CSV show about one attempt."""
    a = inv.assessment
    sessions = assessments.sessions_of(s, inv)
    c = assessments.clock(inv, sessions)
    labs = [lab_result(item, sessions, a.mode) for item in a.labs]
    for lab in labs:  # the hosts with a recording: the ones the candidate opened
        lab["recorded"] = sorted(p.stem for p in (recordings / lab["session"]).glob("*.cast")) if lab["session"] else []
    weights = sum(lab["weight"] for lab in labs) or 1
    start = aware(inv.started_at)
    checks, typed, signals = [], [], {"large_pastes": [], "reconnects": 0, "link_reopened": inv.reopened}
    for ls in sessions:
        for g in ls.grades:
            if g.done_at is None:
                continue
            at = (aware(g.created_at) - start).total_seconds() if start else 0
            checks.append({"at": round(at), "lab": ls.lab_id, "final": g.final, "error": g.error,
                           "score": (g.report or {}).get("score"), "max_score": (g.report or {}).get("max_score"),
                           "tasks": {t["id"]: t["passed"] for t in (g.report or {}).get("tasks", [])}})
        for cast in sorted((recordings / ls.id).glob("*.cast")):
            host = SimpleNamespace(name=cast.stem)
            events = read_cast(cast)
            offset = (aware(ls.ready_at) - start).total_seconds() if start and ls.ready_at else 0
            typed += [{"lab": ls.lab_id, "host": host.name, "at": round(offset + x["at"]), "text": x["text"]}
                      for x in commands(events)]
            found = integrity(events)
            signals["large_pastes"] += [{"lab": ls.lab_id, "host": host.name, **p} for p in found["large_pastes"]]
            signals["reconnects"] += found["reconnects"]
    flags = [f"{lab['lab']}: {reason} (the time lost was credited)" for lab in labs for reason in lab["failures"]]
    flags += [f"{ch['lab']}: grading failed ({ch['error']})" for ch in checks if ch["error"]]
    return {
        "invite": {"id": inv.id, "label": inv.label, "status": invites.status(inv),
                   "used_at": _iso(inv.used_at), "started_at": _iso(inv.started_at), "finished_at": _iso(inv.finished_at)},
        "assessment": {"id": a.id, "title": a.title, "mode": a.mode.value, "role": a.role},
        "time": {"limit": c.limit, "extra": inv.extra_time, "used": c.used, "credited": c.credited},
        "percent": round(sum(lab["percent"] * lab["weight"] for lab in labs) / weights, 1),
        "labs": labs, "skills": skill_scores(labs), "checks": checks, "commands": typed,
        "integrity": signals, "flags": flags,
    }


def _iso(dt) -> str | None:
    return aware(dt).isoformat() if dt else None


def summary_row(report: dict) -> dict:
    """One line of the comparison table (and of the CSV export)."""
    row = {"invite": report["invite"]["id"], "candidate": report["invite"]["label"],
           "status": report["invite"]["status"], "percent": report["percent"],
           "minutes_used": round(report["time"]["used"] / 60, 1),
           "minutes_credited": round(report["time"]["credited"] / 60, 1),
           "pastes": len(report["integrity"]["large_pastes"]), "reconnects": report["integrity"]["reconnects"],
           "flags": len(report["flags"])}
    for lab in report["labs"]:
        row[lab["lab"]] = f"{lab['score']}/{lab['max_score']}"
    return row


def skill_chart(skills: dict[str, float], width: int = 560) -> str:
    """A horizontal bar chart of per-skill percentages as a standalone SVG document."""
    bar_x, row_h = 230, 26
    height = 20 + row_h * max(1, len(skills))
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="13" role="img" '
             f'aria-label="Score per skill">',
             f'<rect width="{width}" height="{height}" fill="#fff"/>']
    span = width - bar_x - 50
    for i, (skill, pct) in enumerate(sorted(skills.items(), key=lambda kv: -kv[1])):
        y = 10 + i * row_h
        colour = "#1a7f37" if pct >= 70 else "#b7791f" if pct >= 40 else "#c62828"
        parts += [f'<text x="{bar_x - 8}" y="{y + 16}" text-anchor="end" fill="#1d2330">{esc(SKILLS.get(skill, skill))}</text>',
                  f'<rect x="{bar_x}" y="{y + 4}" width="{span}" height="16" fill="#eef0f3" rx="3"/>',
                  f'<rect class="bar" data-skill="{esc(skill)}" x="{bar_x}" y="{y + 4}" width="{span * pct / 100:.1f}" '
                  f'height="16" fill="{colour}" rx="3"/>',
                  f'<text x="{bar_x + span + 6}" y="{y + 16}" fill="#1d2330">{pct:g}%</text>']
    if not skills:
        parts.append('<text x="10" y="30" fill="#667085">No lab graded yet.</text>')
    parts.append("</svg>")
    return "".join(parts)
