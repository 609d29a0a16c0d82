// The print view of a report opens the browser's print dialog once the page (and its chart) has loaded.
window.addEventListener("load", () => window.print());
