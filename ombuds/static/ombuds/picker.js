// Scripts of the public case pages. Each part does nothing where its elements are absent; without
// scripts the pages work the same, less conveniently.

// Filter a long list of checkboxes as the user types (the provision picker of the complaint form).
// Without scripts the whole list shows; checked boxes always stay visible. Enter in the filter does
// not send the form, and how many provisions are shown is announced.
document.querySelectorAll("[data-picker]").forEach(function (picker) {
  var input = picker.querySelector("[data-picker-filter]");
  if (!input) return;
  var count = picker.querySelector("[data-picker-count]");
  picker.querySelectorAll(".picker-filter").forEach(function (el) { el.hidden = false; });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = picker.querySelectorAll(".choices > div");
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var box = row.querySelector("input");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !(match || (box && box.checked));
      if (!row.hidden) shown += 1;
    });
    if (count) {
      count.textContent = words.length ? shown + " of " + rows.length + " provisions shown" : "";
    }
  });
});

// A page sent back with problems: the list of them takes the focus, so that it is read first, and
// each of its links puts the focus in its field (a link to an id alone only scrolls there), with the
// field's label or legend in view.
document.querySelectorAll(".error-summary").forEach(function (summary, index) {
  if (index === 0) summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
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
});
