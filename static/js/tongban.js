/* tongban's only script of its own (no inline script anywhere: the Content-Security-Policy allows none).
   - [data-print]: opens the browser's print dialog;
   - [data-confirm="…"]: asks before the click goes on (a bulk publish, say);
   - [data-select-all="selector"]: a check box that ticks every box matching the selector;
   - select[data-autosubmit]: submits its form when the choice changes. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
    return;
  }
  var asking = event.target.closest("[data-confirm]");
  if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
    event.preventDefault();
    return;
  }
  var all = event.target.closest("[data-select-all]");
  if (all) {
    document.querySelectorAll(all.getAttribute("data-select-all")).forEach(function (box) { box.checked = all.checked; });
  }
});
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.submit();
  }
});
