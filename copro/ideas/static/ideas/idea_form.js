// Ideas: show the "touches something fixed" note as soon as a fixed line of the scope is ticked.
// Without this script the same note is shown by the server before the idea is saved.
(function () {
  "use strict";
  var field = document.querySelector(".scope-field");
  if (!field) { return; }
  var note = field.querySelector("[data-fixed-note]");
  if (!note) { return; }
  function fixedTicked() {
    var boxes = field.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      var why = document.getElementById(boxes[i].id + "_why");
      if (boxes[i].checked && why) { return true; }
    }
    return false;
  }
  function update() { note.hidden = !fixedTicked(); }
  field.addEventListener("change", update);
  update();
}());
