"""AWS IAM policy evaluation, as far as the cloud labs need it, on the grader's side.

The emulator stores policies but does not enforce them, so the checks ask this module what
AWS would decide for one request: explicit Deny anywhere wins; otherwise an Allow from the
identity's policies (within its permissions boundary, if any) or from a resource policy that
names the principal. Action and NotAction match case-insensitively, Resource and NotResource
case-sensitively, both with the `*` and `?` wildcards; Principal and NotPrincipal in
resource policies. Conditions are evaluated for the String* and Arn* operators (with
IfExists) over the request's context; any other condition is unknown, and an unknown is
read against the candidate: a conditional Allow does not count as granting what must work,
and does count as granting what must not.
"""

import json
import re

ALLOW, DENY = "Allow", "Deny"


def _list(value):
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, fold: bool) -> bool:
    # runs of `*` are one (a pattern of many would make the regex backtrack for ever)
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in re.sub(r"\*+", "*", str(pattern)))
    return re.fullmatch(rx, value, re.DOTALL | (re.IGNORECASE if fold else 0)) is not None


def _element(stmt: dict, key: str, value: str, fold: bool) -> bool:
    """Does Action/Resource (or its Not form) of a statement cover value?"""
    if key in stmt:
        return any(_glob(p, value, fold) for p in _list(stmt[key]))
    if "Not" + key in stmt:
        return not any(_glob(p, value, fold) for p in _list(stmt["Not" + key]))
    return False


def _principal(stmt: dict, arn: str | None, effect: str) -> bool:
    """For resource policies: does the statement name this principal? A whole account
    (`:root` or its id) delegates to IAM, so it grants nothing by itself but denies all."""
    if arn is None:
        return True  # an identity policy: the principal is the identity itself
    account = arn.split(":")[4]

    def names(spec) -> bool:
        if spec == "*":
            return True
        ids = [] if not isinstance(spec, dict) else _list(spec.get("AWS", []))
        return any(p == "*" or p == arn or (effect == DENY and p in (account, f"arn:aws:iam::{account}:root"))
                   for p in ids)

    if "Principal" in stmt:
        return names(stmt["Principal"])
    if "NotPrincipal" in stmt:
        return not names(stmt["NotPrincipal"])
    return False


def _condition(stmt: dict, context: dict) -> bool | None:
    """True/False when every condition can be judged on the context, else None (unknown)."""
    result = True
    for op, tests in (stmt.get("Condition") or {}).items():
        base, if_exists = (op[:-8], True) if op.endswith("IfExists") else (op, False)
        m = re.fullmatch(r"(String|Arn)(Not)?(Equals|Like)(IgnoreCase)?", base)
        if not m or not isinstance(tests, dict):
            return None
        negated, like, fold = bool(m[2]), m[3] == "Like" or m[1] == "Arn", bool(m[4])
        for key, wanted in tests.items():
            if key not in context:
                ok = if_exists or negated
            else:
                hit = any(_glob(w, context[key], fold) if like else
                          (str(w).lower() == context[key].lower() if fold else str(w) == context[key])
                          for w in _list(wanted))
                ok = hit != negated
            result = result and ok
    return result


def statements(doc) -> list[dict]:
    """The statements of a policy document (a dict, or its JSON text)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    return [s for s in _list((doc or {}).get("Statement", [])) if isinstance(s, dict)]


class Verdict:
    """What a set of documents says about one request: may (counting unknown conditions) and
    surely (not counting them) allow or deny."""

    def __init__(self, docs, action: str, resource: str, context: dict, principal: str | None = None):
        self.may_allow = self.surely_allow = self.may_deny = self.surely_deny = False
        for doc in docs:
            for stmt in statements(doc):
                effect = stmt.get("Effect")
                if effect not in (ALLOW, DENY) or not _principal(stmt, principal, effect):
                    continue
                if not (_element(stmt, "Action", action, True) and _element(stmt, "Resource", resource, False)):
                    continue
                cond = _condition(stmt, context)
                if cond is False:
                    continue
                if effect == ALLOW:
                    self.may_allow = True
                    self.surely_allow = self.surely_allow or cond is True
                else:
                    self.may_deny = True
                    self.surely_deny = self.surely_deny or cond is True


def decide(identity: dict, resource_policies, action: str, resource: str, context: dict | None = None):
    """(surely allowed, possibly allowed) for one request by an identity
    {"arn", "policies": [doc], "boundary": doc or None}, given the resource's policies."""
    context = {"aws:username": identity["arn"].rsplit("/", 1)[-1], "aws:PrincipalArn": identity["arn"],
               **(context or {})}
    ident = Verdict(identity["policies"], action, resource, context)
    res = Verdict(resource_policies, action, resource, context, principal=identity["arn"])
    bound = Verdict([identity["boundary"]], action, resource, context) if identity.get("boundary") else None
    may_deny = ident.may_deny or res.may_deny or (bound is not None and bound.may_deny)
    surely_deny = ident.surely_deny or res.surely_deny or (bound is not None and bound.surely_deny)
    surely = not may_deny and ((ident.surely_allow and (bound is None or bound.surely_allow)) or res.surely_allow)
    possibly = not surely_deny and ((ident.may_allow and (bound is None or bound.may_allow)) or res.may_allow)
    return surely, possibly
