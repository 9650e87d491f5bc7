// The nurse page's watch: polls the route's version endpoint (#route-watch data-url) every
// data-every seconds and, when the fingerprint of her stops differs from the one the page was
// drawn with, shows the "your route has changed — reload" banner. No inline script (CSP).
(function () {
  "use strict";
  var el = document.getElementById("route-watch");
  if (!el || !window.fetch) { return; }
  var url = el.dataset.url;
  var drawn = el.dataset.fingerprint || "";
  var every = Math.max(10, parseInt(el.dataset.every || "60", 10)) * 1000;
  var timer = null;

  function show(published) {
    var text = el.querySelector("[data-text]");
    if (text) {
      text.textContent = published
        ? "A rota has been published for this day — reload"
        : "Your route has changed — reload";
    }
    el.hidden = false;
    el.dataset.state = "changed";
    if (timer) { window.clearInterval(timer); timer = null; }
  }

  function check() {
    if (document.hidden || el.dataset.state === "changed") { return; }
    fetch(url, { credentials: "same-origin", cache: "no-store",
                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var now = data.fingerprint || "";
        if (now !== drawn) { show(drawn === ""); }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  timer = window.setInterval(check, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { check(); }
  });
  el.dataset.watching = "1";
}());
