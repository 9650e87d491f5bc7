// Follows a capacity run, sweep or month (GET /api/capacity/<id>) every 2 s on /ops/capacity/<id>: days
// solved, elapsed, time left; when the run ends, reloads the page to show the results and
// charts. Without JS the page still works: reload it by hand, and Stop is a plain form.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.dataset.active !== "1" || !box.dataset.statusUrl) { return; }
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(name, value) {
    var el = field(name);
    if (el) { el.textContent = value === null || value === undefined ? "—" : String(value); }
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var active = s.state === "queued" || s.state === "running";
        show("state", s.state + (s.stop_requested && active ? " (stopping)" : ""));
        show("days", s.done + " of " + s.total);
        show("elapsed_s", s.elapsed_s);
        show("estimate_s_left", s.estimate_s_left);
        var bar = field("bar");
        if (bar) { bar.max = s.total || 1; bar.value = s.done; bar.textContent = s.percent + " %"; }
        if (active) {
          window.setTimeout(poll, 2000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 2000);
}());
