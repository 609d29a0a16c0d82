// The session page: status polling, one xterm.js terminal per host, Check, hints, Stop.
(function () {
  "use strict";
  // xterm.js writes its theme and cell sizes into <style> elements it creates; the page's CSP
  // allows those only with this response's nonce, given to this script's tag: stamp it on
  // each <style> as it is created (before insertion, when the browser reads it).
  const styleNonce = document.currentScript.nonce;
  const createElement = document.createElement.bind(document);
  document.createElement = (tag, options) => {
    const el = createElement(tag, options);
    if (String(tag).toLowerCase() === "style") el.setAttribute("nonce", styleNonce);
    return el;
  };
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
    // a full platform: the place in line, and the latest a slot frees (the status API's sentence)
    const label = { requested: s.queue ? `${s.progress[0].toUpperCase()}${s.progress.slice(1)}` : "Waiting for a sandbox…", provisioning: `Starting: ${s.progress}…`,
      ready: "Ready", submitted: "Stopped — grading…", expired: "Time is up — grading…",
      graded: "Graded", destroyed: "Finished", failed: `Could not start: ${s.failure_reason}` }[s.state];
    $("state").textContent = label || s.state;
    $("state").className = "state " + s.state;
    $("check").disabled = s.state !== "ready" || pendingGrade !== null;
    $("stop").disabled = !["ready", "requested", "provisioning"].includes(s.state);
    showTasks(s.tasks, s.score, s.max_score);
    if (!["requested", "provisioning", "ready"].includes(s.state)) { deadline = null; showFinish(s); }
    if (s.ended === "time-up" && ["submitted", "expired"].includes(s.state)) $("state").textContent = "Time is up — grading…";
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
      const status = li.querySelector(".status");
      status.textContent = t.passed === true ? "✔" : t.passed === false ? "✘" : "○";
      status.setAttribute("aria-label", t.passed === true ? "passed" : t.passed === false ? "not passed yet" : "not checked yet");
      li.querySelector(".feedback").textContent = t.passed === false ? t.feedback : "";
      const ul = li.querySelector(".hints");
      ul.replaceChildren(...t.hints.map((h) => {
        // `code` in a hint shows as code; everything else stays text (never HTML)
        const x = document.createElement("li");
        h.split("`").forEach((part, i) => {
          if (i % 2) { const c = document.createElement("code"); c.textContent = part; x.append(c); } else x.append(part);
        });
        return x;
      }));
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

  // -- the end -----------------------------------------------------------------------------
  // A finished session shows its final report in place of the terminals: score per task,
  // time and hints used, and a lab to try next.
  function showFinish(s) {
    const done = ["graded", "destroyed"].includes(s.state);
    let panel = $("finish");
    if (!panel) {
      panel = document.createElement("section");
      panel.id = "finish"; panel.className = "finish"; panel.setAttribute("aria-live", "polite");
      $("terms").replaceWith(panel);
      $("tabs").hidden = true;
      hosts.forEach((h) => { const t = terms[h]; if (t.ws) t.ws.close(); });
    }
    const el = (tag, text, cls) => { const x = document.createElement(tag); if (text !== undefined) x.textContent = text; if (cls) x.className = cls; return x; };
    const minutes = (n) => n === null || n === undefined ? "–" : `${Math.floor(n / 60)} min ${n % 60} s`;
    const head = s.state === "failed" ? "This lab could not start"
      : s.ended === "time-up" ? "Time is up" : "Lab finished";
    const items = [el("h2", head)];
    if (s.state === "failed") items.push(el("p", s.failure_reason || "", "error"));
    else if (!done) items.push(el("p", "Grading your work one last time…", "muted"));
    else {
      items.push(el("p", `Final score ${s.score} / ${s.max_score}`, "final-score"));
      const ol = el("ol", undefined, "tasks");
      s.tasks.forEach((t) => {
        const li = el("li", undefined, "task " + (t.passed ? "passed" : "failed"));
        const mark = el("span", t.passed ? "✔" : "✘", "status");
        mark.setAttribute("aria-label", t.passed ? "passed" : "not passed");
        li.append(mark, el("span", ` ${t.title} `), el("span", `${t.passed ? t.points : 0}/${t.points} pt`, "pts"));
        if (!t.passed && t.feedback) li.append(el("p", t.feedback, "feedback"));
        ol.append(li);
      });
      items.push(ol, el("p", `Time used: ${minutes(s.seconds_used)} · hints used: ${s.hints_used}`, "muted"));
    }
    const links = el("p", undefined, "next");
    if (s.next_lab) {
      const a = el("a", `Next: ${s.next_lab.title}`, "button primary"); a.href = `/#lab-${s.next_lab.id}`;
      links.append(a, " ");
    }
    const all = el("a", "All labs"); all.href = "/"; links.append(all, " · ");
    const mine = el("a", "My sessions"); mine.href = "/sessions"; links.append(mine);
    items.push(links);
    panel.replaceChildren(...items);
  }

  async function poll() {
    const r = await api("");
    if (r.ok) render(r.body);
    if (["destroyed", "failed"].includes(state)) return;  // nothing changes any more
    // While the sandbox is starting, poll often: the wait between `ready` and the terminal
    // opening is half an interval on average, straight on top of click → prompt.
    const starting = ["requested", "provisioning"].includes(state);
    const busy = ["submitted", "expired", "graded"].includes(state);
    setTimeout(poll, starting ? 150 : busy ? 500 : 5000);
  }

  function tick() {
    if (deadline && state === "ready") {
      const left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
      $("clock").textContent = `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
      $("clock").classList.toggle("low", left < 120);
      if (left === 0) { $("state").textContent = "Time is up — grading…"; api("").then((r) => r.ok && render(r.body)); }
    } else if (state && state !== "ready" && !["requested", "provisioning"].includes(state)) {
      $("clock").textContent = "--:--";  // the clock stops when the session ends
      $("clock").classList.remove("low");
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
