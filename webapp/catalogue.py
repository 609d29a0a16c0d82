"""The lab catalogue: every valid lab, filterable by skill and difficulty."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from grader.skills import SKILLS
from opslab import engine
from opslab.engine import Lab
from webapp.auth import login_required

bp = Blueprint("catalogue", __name__)


def catalogue() -> list[Lab]:
    """Valid labs of the catalogue (a malformed lab is left out; `opslab lab list` shows it)."""
    return engine.catalogue()


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
