"""The lab catalogue: every valid lab, filterable by skill and difficulty."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from grader.skills import SKILLS
from opslab.engine import Lab, LabError, find_lab_cached, lab_ids
from webapp.auth import login_required

bp = Blueprint("catalogue", __name__)


def catalogue() -> list[Lab]:
    """Valid labs of the catalogue (a malformed lab is left out, not shown broken)."""
    labs = []
    for lab_id in lab_ids():
        try:
            labs.append(find_lab_cached(lab_id))
        except LabError:
            continue  # `opslab lab list` shows it as INVALID for its authors
    return labs


def filtered(labs: list[Lab], skill: str | None, difficulty: str | None) -> list[Lab]:
    return [lab for lab in labs if (not skill or skill in lab.spec.skills)
            and (not difficulty or lab.spec.difficulty == difficulty)]


@bp.route("/")
@login_required
def index():
    skill = request.args.get("skill") or None
    difficulty = request.args.get("difficulty") or None
    labs = catalogue()
    used = sorted({s for lab in labs for s in lab.spec.skills})
    return render_template("catalogue.html", labs=filtered(labs, skill, difficulty), skills=used,
                           skill_names=SKILLS, skill=skill, difficulty=difficulty, user=g.user)
