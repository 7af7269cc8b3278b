// The provision picker of the case pages. It does nothing where its elements are absent; without
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
