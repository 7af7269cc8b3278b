// The site's one script, loaded by every page (base.html). Each part does nothing where its elements
// are absent; without scripts every page works the same, less conveniently.
(function () {
  "use strict";

  // A page sent back with problems: the list of them takes the focus, so that it is read first, and
  // each of its links puts the focus in its field (a link to an id alone only scrolls there), with
  // the field's label or legend in view. A part of a page replaced by htmx does the same.
  function focusSummary(root) {
    var summary = root.querySelector(".error-summary[tabindex]");
    if (summary) summary.focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field || typeof field.focus !== "function") return;
    event.preventDefault();
    var group = field.closest("fieldset");
    var label = document.querySelector("label[for='" + field.id + "']");
    var shown = (field.type === "radio" || field.type === "checkbox") && group ? group : label;
    (shown || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
  focusSummary(document);
  document.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.target); });

  // The receipt of a complaint: its code can be copied and the page printed; until one of them is
  // done (or the complainant says they noted it), leaving the page asks first.
  var receipt = document.querySelector("[data-receipt]");
  if (!receipt) return;
  var kept = false;
  var status = receipt.querySelector("[data-receipt-status]");
  function keep(message) {
    kept = true;
    if (status && message) status.textContent = message;
  }
  window.addEventListener("beforeunload", function (event) {
    if (kept) return;
    event.preventDefault();
    event.returnValue = "";
  });
  receipt.querySelectorAll("[data-receipt-js]").forEach(function (el) { el.hidden = false; });
  var copy = receipt.querySelector("[data-copy]");
  if (copy && navigator.clipboard) {
    copy.addEventListener("click", function () {
      var code = document.getElementById(copy.getAttribute("data-copy")).textContent.trim();
      navigator.clipboard.writeText(code).then(
        // The page's own words, in its language (data-copied, data-copy-failed).
        function () { keep(receipt.getAttribute("data-copied")); },
        function () { if (status) status.textContent = receipt.getAttribute("data-copy-failed"); }
      );
    });
  } else if (copy) {
    copy.hidden = true;
  }
  var print = receipt.querySelector("[data-print]");
  if (print) print.addEventListener("click", function () { keep(""); window.print(); });
  var noted = receipt.querySelector("[data-noted]");
  if (noted) noted.addEventListener("change", function () { kept = noted.checked; });
  window.addEventListener("afterprint", function () { keep(""); });
})();
