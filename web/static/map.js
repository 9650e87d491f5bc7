// Draws the routes of #map-data (a JSON data block, not a script) on #map with Leaflet.
// Works with no tile server: the coloured lines and stops are drawn from coordinates alone.
// Every label comes from the day's CSV files (names, visit ids, addresses), so it is set as
// text, never as HTML: Leaflet's bindTooltip parses a string as HTML, so it is given a
// <span> whose textContent is the label instead.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (!el || !dataEl || typeof L === "undefined") { return; }
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  var tiles = el.dataset.tileUrl;
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  function label(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }
  var bounds = [];
  (data.routes || []).forEach(function (r) {
    if (!r.points || r.points.length === 0) { return; }
    L.polyline(r.points, { color: r.colour, weight: 3, opacity: 0.85 })
      .bindTooltip(label(r.name + " (" + r.clinician_id + ")")).addTo(map);
    L.circleMarker(r.points[0], { radius: 5, color: r.colour, fillColor: "#fff", fillOpacity: 1 })
      .bindTooltip(label(r.name + ": start")).addTo(map);
    (r.stops || []).forEach(function (s) {
      L.circleMarker([s[0], s[1]], { radius: 4, color: r.colour, fillOpacity: 0.9 })
        .bindTooltip(label(s[2])).addTo(map);
    });
    bounds = bounds.concat(r.points);
  });
  (data.unassigned || []).forEach(function (u) {
    L.circleMarker([u[0], u[1]], { radius: 5, color: "#d5281b", dashArray: "2 2", fillOpacity: 0 })
      .bindTooltip(label("unassigned: " + u[2])).addTo(map);
    bounds.push([u[0], u[1]]);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [12, 12] });
  } else {
    map.setView([51.8, -0.2], 10);
  }
  el.dataset.drawn = String((data.routes || []).length);
}());
