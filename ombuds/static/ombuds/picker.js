// Filter a long list of checkboxes as the user types (the provision picker of the complaint form).
// Without scripts the whole list shows; checked boxes always stay visible.
document.querySelectorAll("[data-picker]").forEach(function (picker) {
  var input = picker.querySelector("[data-picker-filter]");
  if (!input) return;
  picker.querySelectorAll(".picker-filter").forEach(function (el) { el.hidden = false; });
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    picker.querySelectorAll(".choices > div").forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var box = row.querySelector("input");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !(match || (box && box.checked));
    });
  });
});
