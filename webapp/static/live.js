// Read-only live watch: each host's terminal output as it is recorded, polled once a second.
(function () {
  "use strict";
  const url = document.getElementById("live").dataset.url;
  document.querySelectorAll(".live-term").forEach((el) => {
    let term = null, from = 0;
    const poll = async () => {
      const r = await fetch(`${url.replace("__HOST__", encodeURIComponent(el.dataset.host))}?from=${from}`, { credentials: "same-origin" });
      if (!r.ok) return setTimeout(poll, 3000);
      const body = await r.json();
      if (!term) {
        const h = body.header || { width: 80, height: 24 };
        term = new Terminal({ disableStdin: true, cols: h.width || 80, rows: h.height || 24, fontSize: 13,
          theme: { background: "#0f1419" }, fontFamily: "ui-monospace, Menlo, Consolas, monospace" });
        term.open(el);
      }
      body.output.forEach((o) => term.write(o));
      from = body.next;
      if (body.live || body.output.length) setTimeout(poll, 1000);
      else { document.getElementById("live-state").textContent += " · the lab has ended"; }
    };
    poll();
  });
})();
