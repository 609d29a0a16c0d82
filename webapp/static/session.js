// The session page: status polling, one xterm.js terminal per host, Check, hints, Stop.
(function () {
  "use strict";
  const root = document.getElementById("session");
  const sid = root.dataset.session;
  const hosts = root.dataset.hosts.split(",");
  const attemptUrl = root.dataset.attempt;  // a lab of a timed assessment: its page leads on
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const api = (path, opts = {}) => fetch(`/api/v1/sessions/${sid}${path}`, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    ...opts,
  }).then(async (r) => ({ ok: r.ok, status: r.status, body: await r.json().catch(() => ({})) }));

  const $ = (id) => document.getElementById(id);
  const terms = {};
  let state = null, deadline = null, skew = 0, pendingGrade = null, gradeError = null;

  // -- terminals ---------------------------------------------------------------------------
  function openTerminal(host) {
    const t = terms[host];
    if (t.ws && t.ws.readyState <= 1) return;
    const { cols, rows } = t.term;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/sessions/${sid}/terminal/${host}?cols=${cols}&rows=${rows}`);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => t.term.write(typeof e.data === "string" ? e.data : new Uint8Array(e.data));
    ws.onclose = (e) => {
      t.term.write(`\r\n\x1b[2m[disconnected${e.reason ? ": " + e.reason : ""}]\x1b[0m\r\n`);
      if (state === "ready") setTimeout(() => { if (state === "ready") openTerminal(host); }, 1500);
    };
    t.ws = ws;
  }

  function buildTerminals() {
    hosts.forEach((host, i) => {
      const tab = document.createElement("button");
      tab.textContent = host; tab.setAttribute("role", "tab"); tab.dataset.host = host;
      tab.onclick = () => select(host);
      $("tabs").appendChild(tab);
      const pane = document.createElement("div");
      pane.className = "term"; pane.dataset.host = host;
      $("terms").appendChild(pane);
      // Links printed in the sandbox open only if they are http(s), in a new tab without opener.
      const linkHandler = { activate: (_e, uri) => { if (/^https?:\/\//i.test(uri)) window.open(uri, "_blank", "noopener,noreferrer"); } };
      const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, linkHandler,
        theme: { background: "#0f1419" }, fontFamily: "ui-monospace, Menlo, Consolas, monospace" });
      const fit = new FitAddon.FitAddon();
      term.loadAddon(fit);
      term.open(pane);
      term.onData((d) => { const ws = terms[host].ws; if (ws && ws.readyState === 1) ws.send(JSON.stringify({ i: d })); });
      term.onResize(({ cols, rows }) => { const ws = terms[host].ws; if (ws && ws.readyState === 1) ws.send(JSON.stringify({ r: [cols, rows] })); });
      terms[host] = { term, fit, pane, tab, ws: null };
      if (i === 0) select(host);
    });
    window.addEventListener("resize", () => Object.values(terms).forEach((t) => t.pane.classList.contains("active") && t.fit.fit()));
  }

  function select(host) {
    Object.entries(terms).forEach(([h, t]) => {
      const on = h === host;
      t.pane.classList.toggle("active", on);
      t.tab.setAttribute("aria-selected", on);
    });
    const t = terms[host];
    t.fit.fit();
    t.term.focus();
    if (state === "ready") openTerminal(host);
  }

  // -- status ------------------------------------------------------------------------------
  function render(s) {
    const was = state;
    state = s.state;
    skew = Date.parse(s.server_time) - Date.now();
    deadline = s.deadline ? Date.parse(s.deadline) : null;
    const label = { requested: "Waiting for a sandbox…", provisioning: `Starting: ${s.progress}…`,
      ready: "Ready", submitted: "Stopped — grading…", expired: "Time is up — grading…",
      graded: "Graded", destroyed: "Finished", failed: `Could not start: ${s.failure_reason}` }[s.state];
    $("state").textContent = label || s.state;
    $("state").className = "state " + s.state;
    $("check").disabled = s.state !== "ready" || pendingGrade !== null;
    $("stop").disabled = !["ready", "requested", "provisioning"].includes(s.state);
    showTasks(s.tasks, s.score, s.max_score);
    // The latest grade's one sentence when it failed (the platform or the lab), also after a reload.
    if ((s.error || null) !== gradeError) { gradeError = s.error || null; notice(gradeError || ""); }
    if (attemptUrl && ["submitted", "expired", "graded", "destroyed", "failed"].includes(s.state)) {
      setTimeout(() => { location.href = attemptUrl; }, s.state === "failed" ? 4000 : 1500);
    }
    if (s.state === "ready" && was !== "ready") {
      const active = hosts.find((h) => terms[h].pane.classList.contains("active")) || hosts[0];
      openTerminal(active);
    }
  }

  function showTasks(tasks, score, max) {
    let graded = false;
    tasks.forEach((t) => {
      const li = document.querySelector(`.task[data-task="${t.id}"]`);
      if (!li) return;
      if (t.passed !== null && t.passed !== undefined) graded = true;
      li.classList.toggle("passed", t.passed === true);
      li.classList.toggle("failed", t.passed === false);
      li.querySelector(".status").textContent = t.passed === true ? "✔" : t.passed === false ? "✘" : "○";
      li.querySelector(".feedback").textContent = t.passed === false ? t.feedback : "";
      const ul = li.querySelector(".hints");
      ul.replaceChildren(...t.hints.map((h) => { const x = document.createElement("li"); x.textContent = h; return x; }));
      const btn = li.querySelector(".hint");
      if (btn) btn.hidden = t.hints_left === 0;
    });
    $("score").textContent = graded ? `${score} / ${max}` : `0 / ${max}`;
    // The task list sits below a README that can be long: the sticky bar under Check keeps
    // one mark per task and the score in view, and links down to the list.
    const summary = $("summary");
    if (!graded) { summary.textContent = "not checked yet"; return; }
    const marks = tasks.map((t) => {
      const m = document.createElement("span");
      m.className = t.passed === true ? "mark passed" : t.passed === false ? "mark failed" : "mark";
      m.textContent = t.passed === true ? "✔" : t.passed === false ? "✘" : "○";
      m.title = t.id;
      return m;
    });
    const passed = tasks.filter((t) => t.passed === true).length;
    summary.replaceChildren(...marks, ` ${passed} of ${tasks.length} tasks · ${score} / ${max} pts`);
  }

  async function poll() {
    const r = await api("");
    if (r.ok) render(r.body);
    // While the sandbox is starting, poll often: the wait between `ready` and the terminal
    // opening is half an interval on average, straight on top of click → prompt.
    const starting = ["requested", "provisioning"].includes(state);
    const busy = ["submitted", "expired", "graded"].includes(state);
    setTimeout(poll, starting ? 150 : busy ? 500 : 5000);
  }

  function tick() {
    if (deadline) {
      const left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
      $("clock").textContent = `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
      $("clock").classList.toggle("low", left < 120);
    }
    setTimeout(tick, 1000);
  }

  // -- actions -----------------------------------------------------------------------------
  // Refusals and grading errors show above the buttons, where the eye already is.
  function notice(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  $("check").onclick = async () => {
    $("check").disabled = true;
    $("check").textContent = "Checking…";
    const r = await api("/check", { method: "POST" });
    notice("");
    if (!r.ok) { notice(r.body.error || "Check failed"); $("check").textContent = "Check"; $("check").disabled = false; return; }
    pendingGrade = r.body.grade_id;
    const wait = async () => {
      const g = await api(`/grades/${pendingGrade}`);
      if (g.ok && g.body.done) {
        pendingGrade = null;
        $("check").textContent = "Check";
        if (g.body.error) notice(g.body.error);
        const s = await api(""); if (s.ok) render(s.body);
        $("summary").classList.remove("flash");
        void $("summary").offsetWidth;  // restart the highlight on every Check
        $("summary").classList.add("flash");
        return;
      }
      setTimeout(wait, 150);
    };
    wait();
  };

  $("stop").onclick = async () => {
    if (!confirm(attemptUrl ? "Submit this lab? It is graded and cannot be reopened."
                            : "Stop this lab? It is graded one last time and the sandbox is removed.")) return;
    const r = await api("/stop", { method: "POST" });
    if (r.ok) render(r.body); else notice(r.body.error || "Stop failed");
  };

  document.querySelectorAll(".hint").forEach((b) => b.onclick = async () => {
    const r = await api("/hints", { method: "POST", body: JSON.stringify({ task: b.dataset.task }) });
    if (r.ok) { const s = await api(""); if (s.ok) render(s.body); } else notice(r.body.error || "No hint available");
  });

  buildTerminals();
  poll();
  tick();
})();
