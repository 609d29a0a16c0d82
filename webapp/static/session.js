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
  // The server keeps each host's shell past its WebSocket: a reload or a dropped connection
  // comes back to the same shell and gets its recent output replayed. One window writes;
  // another window of the same lab watches read-only until "Use this window". This tab's id
  // (kept across reloads) lets the server give a reloaded tab its writing role back.
  const tabId = (() => {
    const fresh = () => Math.random().toString(36).slice(2) + Date.now().toString(36);
    try {
      let v = sessionStorage.getItem("opslab-tab");
      if (!v) { v = fresh(); sessionStorage.setItem("opslab-tab", v); }
      return v;
    } catch (_e) { return fresh(); }
  })();
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const send = (t, msg) => { if (t.ws && t.ws.readyState === 1) t.ws.send(JSON.stringify(msg)); };

  function openTerminal(host) {
    const t = terms[host];
    if (t.ws && t.ws.readyState <= 1) return;
    clearTimeout(t.timer); t.timer = null;
    const { cols, rows } = t.term;
    const ws = new WebSocket(`${proto}://${location.host}/sessions/${sid}/terminal/${host}?cols=${cols}&rows=${rows}&tab=${tabId}`);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      if (typeof e.data === "string") control(host, JSON.parse(e.data));
      else t.term.write(new Uint8Array(e.data));
    };
    ws.onclose = (e) => {
      if (t.ws !== ws) return;
      t.ws = null; t.role = null;
      banner();
      if (state !== "ready") return;
      if (e.reason === "the lab has ended") { pollNow(); return; }
      reconnect(host, e.reason);
    };
    t.ws = ws;
  }

  // A dropped WebSocket retries by itself, waiting longer each time (0.3 s doubling to 15 s,
  // with jitter), at once when the browser comes back online; the status poll learns whether
  // the lab itself ended.
  function reconnect(host, reason) {
    const t = terms[host];
    const wait = Math.min(15000, 300 * 2 ** t.retry) * (0.75 + Math.random() / 2);
    t.retry += 1;
    t.lost = reason || "connection lost";
    banner();
    clearTimeout(t.timer);
    t.timer = setTimeout(() => { t.timer = null; if (state === "ready") openTerminal(host); }, wait);
    if (t.retry === 1 || t.retry % 3 === 0) pollNow();
  }
  window.addEventListener("online", () => {
    pollNow();
    Object.keys(terms).forEach((h) => { if (terms[h].timer && state === "ready") openTerminal(h); });
  });

  // A text frame is the window's state: writer or watcher, the shell's size. The first one
  // ("hello") comes before the replay of recent output, so the screen starts clean.
  function control(host, m) {
    const t = terms[host];
    if (m.hello) { t.term.reset(); t.retry = 0; t.lost = null; }
    t.role = m.role; t.canTake = m.can_take; t.writerElsewhere = m.writer && m.role !== "writer";
    t.term.options.disableStdin = m.role !== "writer";
    const [c, r] = m.size;
    if (m.role === "writer") {
      t.fit.fit();
      if (t.term.cols !== c || t.term.rows !== r) send(t, { r: [t.term.cols, t.term.rows] });
    } else if (t.term.cols !== c || t.term.rows !== r) {
      t.term.resize(c, r);  // a watcher shows the writer's screen at the writer's size
    }
    banner();
  }

  // The banner over the terminal: reconnecting, or read-only with "Use this window".
  function banner() {
    const t = terms[activeHost()];
    const box = $("term-banner");
    if (!t || state !== "ready") { box.hidden = true; return; }
    let text = "", take = false;
    if (!t.ws && t.lost) text = t.lost === "connection lost" ? "Reconnecting…" : `Reconnecting… (${t.lost})`;
    else if (t.role === "watcher" && t.canTake) {
      text = t.writerElsewhere ? "Read-only: this lab's shell is in use in another window."
        : "Read-only: no window is using this shell.";
      take = true;
    } else if (t.role === "watcher") text = "Watching read-only: the candidate's window is not disturbed.";
    $("term-banner-text").textContent = text;
    $("take").hidden = !take;
    box.className = "term-banner" + (t.ws ? "" : " lost");
    box.hidden = !text;
  }

  $("take").onclick = () => {
    const t = terms[activeHost()];
    send(t, { take: true });
    t.term.focus();
  };

  // -- clipboard and keys ------------------------------------------------------------------
  // Ctrl+Shift+C (or Ctrl+C over a selection) copies, selecting copies too; Ctrl+V and
  // Ctrl+Shift+V paste through the browser's paste event, which xterm.js sends as a
  // bracketed paste; right or middle click pastes. Esc then Tab leaves the terminal
  // (Esc still reaches the shell, so vi keeps working).
  function copy(text) {
    if (!text) return;
    const fallback = () => {
      const ta = document.createElement("textarea");
      ta.value = text; ta.className = "sr-only"; document.body.appendChild(ta); ta.select();
      try { document.execCommand("copy"); } finally { ta.remove(); }
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).catch(fallback);
    else fallback();
  }

  function clipboardKeys(host, term) {
    let escaped = false;
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== "keydown") return true;
      const key = e.key.toLowerCase();
      if (e.key === "Tab" && escaped) { escaped = false; return false; }  // the browser moves focus
      escaped = e.key === "Escape";
      if (e.ctrlKey && !e.altKey && !e.metaKey) {
        if (key === "c" && (e.shiftKey || term.hasSelection())) {
          copy(term.getSelection());
          if (!e.shiftKey) term.clearSelection();
          e.preventDefault();
          return false;
        }
        if (key === "v") return false;  // the browser pastes: xterm.js's paste handler sends it
      }
      return true;
    });
    const pane = terms[host].pane;
    pane.addEventListener("mouseup", () => { if (term.hasSelection()) copy(term.getSelection()); });
    const pasteFromClipboard = (e) => {
      if (!navigator.clipboard || !navigator.clipboard.readText) return;
      e.preventDefault();
      navigator.clipboard.readText().then((text) => text && term.paste(text)).catch(() => {});
    };
    pane.addEventListener("contextmenu", pasteFromClipboard);
    pane.addEventListener("auxclick", (e) => { if (e.button === 1) pasteFromClipboard(e); });
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
      const term = new Terminal({ cursorBlink: true, fontSize: 14, lineHeight: 1.2, scrollback: 5000, linkHandler,
        theme: { background: "#0f1419" }, fontFamily: '"JetBrains Mono", ui-monospace, Menlo, Consolas, monospace' });
      const fit = new FitAddon.FitAddon();
      term.loadAddon(fit);
      terms[host] = { term, fit, pane, tab, ws: null, role: null, retry: 0, timer: null, lost: null };
      term.open(pane);
      term.textarea.setAttribute("aria-describedby", "term-hint");
      term.onData((d) => { const t = terms[host]; if (t.role === "writer") send(t, { i: d }); });
      term.onResize(({ cols, rows }) => { const t = terms[host]; if (t.role === "writer") send(t, { r: [cols, rows] }); });
      clipboardKeys(host, term);
      if (i === 0) select(host);
    });
    // The terminal follows its box in both directions (the window, the phone turned).
    let pending = false;
    new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        const t = terms[activeHost()];
        if (t && t.role !== "watcher") t.fit.fit();
      });
    }).observe($("terms"));
  }

  function activeHost() {
    return hosts.find((h) => terms[h] && terms[h].pane.classList.contains("active")) || hosts[0];
  }

  function select(host) {
    Object.entries(terms).forEach(([h, t]) => {
      const on = h === host;
      t.pane.classList.toggle("active", on);
      t.tab.setAttribute("aria-selected", on);
    });
    const t = terms[host];
    if (t.role !== "watcher") t.fit.fit();
    t.term.focus();
    banner();
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
    if (s.state === "ready" && was !== "ready") openTerminal(activeHost());
    if (s.state !== "ready") Object.values(terms).forEach((t) => { clearTimeout(t.timer); t.timer = null; });
    banner();
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
      if (btn) btn.hidden = t.hints_left === 0 || state !== "ready";  // no hints once the lab has ended
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
      $("tabs").hidden = true; $("term-hint").hidden = true; $("term-banner").hidden = true;
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

  // The status poll: often while the sandbox starts, every 5 s while ready. When the server
  // does not answer it waits longer each time (doubling to 30 s) and says so, then recovers.
  let pollTimer = null, pollFailures = 0;
  async function poll() {
    clearTimeout(pollTimer); pollTimer = null;
    let r = null;
    try { r = await api("", { signal: AbortSignal.timeout(10000) }); } catch (_e) { r = null; }  // down, or no answer in 10 s
    if (r && (r.ok || r.status < 500)) {
      pollFailures = 0;
      if (r.ok) render(r.body);
    } else {
      pollFailures += 1;
      $("state").textContent = "The server is not answering — retrying…";
    }
    if (["destroyed", "failed"].includes(state)) return;  // nothing changes any more
    // While the sandbox is starting, poll often: the wait between `ready` and the terminal
    // opening is half an interval on average, straight on top of click → prompt.
    const starting = ["requested", "provisioning"].includes(state);
    const busy = ["submitted", "expired", "graded"].includes(state);
    const every = starting ? 150 : busy ? 500 : 5000;
    const wait = pollFailures ? Math.min(30000, Math.max(every, 1000) * 2 ** (pollFailures - 1)) : every;
    pollTimer = setTimeout(poll, wait);
  }
  function pollNow() { if (pollTimer) poll(); }

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

  // The bundled font must be loaded before xterm.js measures its cells.
  const fontReady = document.fonts ? document.fonts.load('14px "JetBrains Mono"').catch(() => null) : Promise.resolve();
  fontReady.then(() => {
    buildTerminals();
    poll();
    tick();
  });
})();
