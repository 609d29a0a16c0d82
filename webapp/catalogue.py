"""The lab catalogue: every valid lab, filterable by skill and difficulty."""

from __future__ import annotations

import functools

from flask import Blueprint, g, render_template, request

from grader.errors import LabError
from grader.lab import Lab, lab_ids, lab_version, labs_root, load_lab
from grader.skills import SKILLS
from webapp.auth import login_required

bp = Blueprint("catalogue", __name__)


@functools.lru_cache(maxsize=256)
def _load(lab_id: str, version: str) -> Lab | None:
    try:
        return load_lab(labs_root() / lab_id)
    except LabError:
        return None


def catalogue() -> list[Lab]:
    """Valid labs of the catalogue (a malformed lab is left out, not shown broken)."""
    root = labs_root()
    labs = (_load(i, lab_version(root / i)) for i in lab_ids(root))
    return [lab for lab in labs if lab is not None]


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
