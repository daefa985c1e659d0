// Drag and drop on the open space schedule: a progressive enhancement of the forms below the grid.
// Dropping a session fills in the same form a keyboard user fills in ("put it there", "swap them",
// "take it out") and sends it, with its CSRF token, as a normal form POST. Without JavaScript, or without
// a mouse, the forms work on their own.
(function () {
  "use strict";
  var grid = document.querySelector("[data-schedule-grid]");
  var place = document.getElementById("os-place");
  var swap = document.getElementById("os-swap");
  var unplace = document.getElementById("os-unplace");
  if (!grid || !place || !swap) { return; }

  var help = document.querySelector("[data-drag-help]");
  if (help) { help.hidden = false; }
  document.body.classList.add("os-draggable");
  var dragged = null;

  function send(form, values) {
    Object.keys(values).forEach(function (name) {
      var field = form.elements[name];
      if (field.type === "checkbox") { field.checked = Boolean(values[name]); } else { field.value = values[name]; }
    });
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.querySelectorAll(".os-card[data-session]").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      dragged = card.getAttribute("data-session");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged);
      card.classList.add("os-dragging");
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("os-dragging");
      dragged = null;
    });
  });

  function target(zone, onDrop) {
    zone.addEventListener("dragover", function (event) {
      if (dragged) { event.preventDefault(); zone.classList.add("os-drop-over"); }
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("os-drop-over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("os-drop-over");
      var id = dragged || event.dataTransfer.getData("text/plain");
      if (id) { onDrop(id); }
    });
  }

  grid.querySelectorAll("td[data-room][data-slot]").forEach(function (cell) {
    target(cell, function (id) {
      var occupant = cell.querySelector("[data-session]");
      var other = occupant && occupant.getAttribute("data-session");
      if (other === id) { return; }
      if (other) {
        send(swap, { first: id, second: other });
      } else {
        send(place, { session: id, room: cell.getAttribute("data-room"), slot: cell.getAttribute("data-slot"), pin: true });
      }
    });
  });

  var zone = document.querySelector("[data-unplace-zone]");
  if (zone && unplace) {
    target(zone, function (id) {
      if (!zone.querySelector('[data-session="' + id + '"]')) { send(unplace, { session: id }); }
    });
  }
})();
