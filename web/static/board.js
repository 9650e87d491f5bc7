// Polls a running solve job (GET /api/jobs/<id>) once a second and shows its best-so-far;
// when it finishes, reloads the board on the draft it produced. Without JS the page still
// works: reload it by hand, and Stop is a plain form.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.active !== "1" || !box.dataset.statusUrl) { return; }
  function show(field, value) {
    var dd = box.querySelector('[data-field="' + field + '"]');
    if (dd) { dd.textContent = value === null || value === undefined ? "—" : String(value); }
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show("state", s.state + (s.stop_requested && (s.state === "running" || s.state === "queued") ? " (stopping)" : ""));
        show("best_cost", s.best_cost);
        show("tasks_placed", s.tasks_placed === null ? null : s.tasks_placed + (s.tasks_total ? " of " + s.tasks_total : ""));
        show("seconds_left", s.seconds_left);
        if (s.state === "queued" || s.state === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.assign(box.dataset.dayUrl + (s.rota_version_id ? "?version=" + s.rota_version_id : ""));
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());

// Follows a live-day event whose proposals a worker is working out (GET /api/events/<id>),
// the same way: once a second, then reloads the board at the event when they are ready (or
// the work failed). Without JS: reload by hand.
(function () {
  "use strict";
  var box = document.getElementById("proposals");
  if (!box || box.dataset.active !== "1" || !box.dataset.statusUrl) { return; }
  var state = box.querySelector('[data-field="state"]');
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (e) {
        if (e.state === "queued" || e.state === "running") {
          if (state) { state.textContent = "working out proposals… (" + e.state + ")"; }
          window.setTimeout(poll, 1000);
        } else if (window.location.pathname + window.location.search === box.dataset.dayUrl) {
          window.location.reload();  // the same address with #live would not load again
        } else {
          window.location.assign(box.dataset.dayUrl + "#live");
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());

// Clicking a visit in a route table or the unassigned list fills the adjust form with it
// (and with its clinician, which says which half of a double-handed visit is meant).
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  if (!form) { return; }
  var visit = document.getElementById("edit-visit");
  var from = document.getElementById("edit-from");
  var other = document.getElementById("edit-other");
  var op = document.getElementById("edit-op");
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest ? ev.target.closest("tr[data-visit]") : null;
    if (!row) { return; }
    if (op.value === "swap" && visit.value && visit.value !== row.dataset.visit) {
      other.value = row.dataset.visit;
    } else {
      visit.value = row.dataset.visit;
      from.value = row.dataset.clinician || "";
    }
    form.scrollIntoView({ behavior: "smooth", block: "nearest" });
  });
}());
