// The report page: one asciinema player per recorded host (seekable; markers at reconnects).
(function () {
  "use strict";
  document.querySelectorAll(".replay").forEach((el) => {
    el.player = AsciinemaPlayer.create(el.dataset.src, el, {
      fit: "width", idleTimeLimit: 2, rows: 24, terminalFontSize: "13px", preload: true,
    });
  });
})();
