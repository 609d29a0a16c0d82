"""The OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json).

Every string a client sends is bounded: ids are slugs or hex of a known length (the columns
that hold them), and bodies past MAX_CONTENT_LENGTH are refused with 413.
"""

SLUG = "^[a-z][a-z0-9-]*[a-z0-9]$"  # grader.lab.SLUG: lab and task ids
_lab_id = {"type": "string", "minLength": 2, "maxLength": 100, "pattern": SLUG}  # lab_sessions.lab_id
_task_id = {"type": "string", "minLength": 2, "maxLength": 100, "pattern": SLUG}
_err = {"description": "Refused, with a message saying why and what to do",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_sid = {"name": "session_id", "in": "path", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[0-9a-f]+$"}}
_aid = {"name": "assessment_id", "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_iid = {"name": "invite_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_assessment = {"description": "The assessment", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Assessment"}}}}
_invite = {"description": "The invite", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invite"}}}}
_status = {"description": "The session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "opslab API", "version": "1",
             "description": "Start labs, watch them provision, grade them and stop them; hiring teams build "
                            "timed assessments, invite candidates and read reports. Authenticate "
                            "with `Authorization: Bearer <token>` (`opslab user token EMAIL`) or the browser "
                            "session plus an `X-CSRFToken` header on POST."},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                            "cookie": {"type": "apiKey", "in": "cookie", "name": "session"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "maxLength": 1001}}},
            "Task": {"type": "object", "properties": {
                "id": _task_id, "title": {"type": "string"}, "points": {"type": "integer"},
                "passed": {"type": ["boolean", "null"]}, "feedback": {"type": "string"},
                "hints": {"type": "array", "items": {"type": "string"}}, "hints_left": {"type": "integer"}}},
            "Session": {"type": "object", "required": ["id", "state"], "properties": {
                "id": _sid["schema"], "lab": _lab_id, "title": {"type": "string"},
                "state": {"type": "string", "enum": ["requested", "provisioning", "ready", "submitted",
                                                     "expired", "graded", "destroyed", "failed"]},
                "progress": {"type": "string", "maxLength": 200}, "failure_reason": {"type": ["string", "null"]},
                "queue": {"type": ["object", "null"], "description": "a Start waiting for a free sandbox (the platform is full): "
                          "its place in line and, when known, the latest a slot frees",
                          "properties": {"position": {"type": "integer", "minimum": 1},
                                         "estimate_seconds": {"type": ["integer", "null"]}}},
                "server_time": {"type": "string", "format": "date-time"},
                "deadline": {"type": ["string", "null"], "format": "date-time"},
                "seconds_left": {"type": ["integer", "null"]}, "hosts": {"type": "array", "items": {"type": "string"}},
                "pending_grade": {"type": ["integer", "null"]}, "score": {"type": "integer"},
                "max_score": {"type": "integer"}, "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
                "error": {"type": ["string", "null"], "description": "the latest grade's one sentence when it failed"},
                "ended": {"type": ["string", "null"], "enum": ["time-up", "stopped", "failed", None]},
                "seconds_used": {"type": ["integer", "null"]}, "hints_used": {"type": "integer"},
                "next_lab": {"type": ["object", "null"], "properties": {"id": _lab_id, "title": {"type": "string"}}}}},
            "LabItem": {"type": "object", "required": ["lab"], "properties": {
                "lab": {"type": "string"}, "weight": {"type": "integer", "minimum": 1, "maximum": 10}}},
            "AssessmentDraft": {"type": "object", "properties": {
                "title": {"type": "string"}, "role": {"type": ["string", "null"],
                                                      "enum": ["lead-infrastructure-engineer", "devops-team-lead", None]},
                "labs": {"type": "array", "items": {"$ref": "#/components/schemas/LabItem"}},
                "time_limit": {"type": ["string", "integer"], "description": "seconds, or 90m / 2h"},
                "mode": {"type": "string", "enum": ["exam", "practice"]}, "invite_days": {"type": "integer"},
                "team": {"type": "integer", "description": "admins only: the team's id"}}},
            "Invite": {"type": "object", "properties": {
                "id": {"type": "integer"}, "label": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "running", "finished", "expired", "revoked"]},
                "extra_time": {"type": "integer"}, "expires_at": {"type": "string", "format": "date-time"},
                "used_at": {"type": ["string", "null"]}, "started_at": {"type": ["string", "null"]},
                "finished_at": {"type": ["string", "null"]},
                "link": {"type": "string", "description": "only in the answer that created it"}}},
            "Assessment": {"type": "object", "properties": {
                "id": {"type": "integer"}, "team": {"type": "string"}, "title": {"type": "string"},
                "role": {"type": ["string", "null"]}, "labs": {"type": "array", "items": {"$ref": "#/components/schemas/LabItem"}},
                "time_limit": {"type": "integer"}, "mode": {"type": "string"}, "invite_days": {"type": "integer"},
                "invites": {"type": "array", "items": {"$ref": "#/components/schemas/Invite"}}}},
            "Report": {"type": "object", "description": "One attempt: invite, assessment, time {limit, extra, "
                       "used, credited}, percent, labs (tasks, versions), skills, checks, commands, integrity, flags"},
            "Lab": {"type": "object", "properties": {
                "id": _lab_id, "title": {"type": "string"}, "skills": {"type": "array", "items": {"type": "string"}},
                "difficulty": {"type": "string"}, "duration": {"type": "string"}, "points": {"type": "integer"}}},
        },
    },
    "security": [{"bearer": []}, {"cookie": []}],
    "paths": {
        "/labs": {"get": {"summary": "The catalogue", "responses": {
            "200": {"description": "Labs", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"labs": {"type": "array", "items": {"$ref": "#/components/schemas/Lab"}}}}}}},
            "401": _err}}},
        "/sessions": {"post": {"summary": "Start a lab", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["lab"], "properties": {"lab": _lab_id}}}}},
            "responses": {"202": _status, "400": _err, "401": _err, "404": _err, "409": _err, "413": _err,
                          "429": _err, "503": _err}}},
        "/sessions/{session_id}": {"get": {"summary": "Session status", "parameters": [_sid],
                                           "responses": {"200": _status, "401": _err, "404": _err}}},
        "/sessions/{session_id}/check": {"post": {"summary": "Grade now (asynchronous)", "parameters": [_sid],
            "responses": {"202": {"description": "Grading queued", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"grade_id": {"type": "integer"}}}}}}, "401": _err, "404": _err, "409": _err}}},
        "/sessions/{session_id}/grades/{grade_id}": {"get": {"summary": "A grading result", "parameters": [
            _sid, {"name": "grade_id", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}],
            "responses": {"200": {"description": "done=false while grading", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"done": {"type": "boolean"}, "report": {"type": ["object", "null"]},
                                                 "error": {"type": ["string", "null"]}}}}}}, "401": _err, "404": _err}}},
        "/sessions/{session_id}/hints": {"post": {"summary": "Reveal the next hint of a task", "parameters": [_sid],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["task"], "properties": {"task": _task_id}}}}},
            "responses": {"200": {"description": "Hints shown so far"}, "400": _err, "401": _err, "404": _err,
                          "413": _err}}},
        "/sessions/{session_id}/stop": {"post": {"summary": "Stop: final grade, then the sandbox is removed",
                                                 "parameters": [_sid], "responses": {"202": _status, "401": _err, "404": _err}}},
        "/role-templates": {"get": {"summary": "Hiring teams: the role templates and the labs each picks",
                                    "responses": {"200": {"description": "Drafts by role"}, "401": _err, "403": _err}}},
        "/assessments": {
            "get": {"summary": "Hiring teams: your team's assessments", "responses": {"200": {
                "description": "Assessments", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "assessments": {"type": "array", "items": {"$ref": "#/components/schemas/Assessment"}}}}}}},
                "401": _err, "403": _err}},
            "post": {"summary": "Create an assessment (a role alone takes the template's labs and time)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "$ref": "#/components/schemas/AssessmentDraft"}}}},
                     "responses": {"201": _assessment, "400": _err, "401": _err, "403": _err, "404": _err, "409": _err,
                                   "413": _err}}},
        "/assessments/{assessment_id}": {"get": {"summary": "An assessment and its invites", "parameters": [_aid],
                                                 "responses": {"200": _assessment, "401": _err, "403": _err, "404": _err}}},
        "/assessments/{assessment_id}/invites": {"post": {
            "summary": "A single-use invite link for a candidate (the link is in this answer only)", "parameters": [_aid],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["label"], "properties": {
                    "label": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\u0000-\\u001f]+$"},
                    "extra_minutes": {"type": "integer", "minimum": 0, "maximum": 600}}}}}},
            "responses": {"201": _invite, "400": _err, "401": _err, "403": _err, "404": _err, "413": _err}}},
        "/assessments/{assessment_id}/results": {"get": {
            "summary": "Every candidate compared (sort=percent|-percent|candidate|…; format=csv for CSV)",
            "parameters": [_aid, {"name": "format", "in": "query", "schema": {
                "type": "string", "enum": ["json", "csv"], "maxLength": 4, "pattern": "^(json|csv)$"}},
                           {"name": "sort", "in": "query", "schema": {"type": "string", "maxLength": 40,
                                                                       "pattern": "^-?[a-z_]+$"}}],
            "responses": {"200": {"description": "candidates (one row each) and their full reports"},
                          "401": _err, "403": _err, "404": _err}}},
        "/invites/{invite_id}/revoke": {"post": {"summary": "Withdraw an invite (a running attempt ends)",
                                                 "parameters": [_iid], "responses": {"200": _invite, "401": _err,
                                                                                     "403": _err, "404": _err}}},
        "/invites/{invite_id}/report": {"get": {"summary": "The report on one candidate's attempt", "parameters": [_iid],
            "responses": {"200": {"description": "The report", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Report"}}}}, "401": _err, "403": _err, "404": _err}}},
    },
}
