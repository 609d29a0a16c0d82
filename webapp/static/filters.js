// Filter forms submit as soon as a choice changes (no inline handlers: the CSP forbids them).
document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
