/* Brygga map: boundary and areas from a JSON data block (no inline script; CSP-safe), on the
   background map of basemap.js. Without tiles the boundary and areas show on a plain background. */
(function () {
  "use strict";
  function init(el) {
    var source = document.getElementById(el.dataset.mapSource);
    if (!source || !window.L || !window.BryggaMap) { return; }
    var data = JSON.parse(source.textContent);
    var map = BryggaMap.create(el, data);
    var layers = [];
    var b = BryggaMap.boundary(map, data);
    if (b) { layers.push(b); }
    if (data.areas && data.areas.features && data.areas.features.length) {
      var a = L.geoJSON(data.areas, {
        style: function (f) { return { color: "#7a3b00", weight: 1.5, dashArray: f.properties.demo ? "4 3" : null, fillColor: "#f2b705", fillOpacity: 0.25 }; },
        onEachFeature: function (f, layer) {
          // An area not saved yet (the import's preview) has no page: its name only.
          var link = document.createElement(f.properties.id ? "a" : "span");
          if (f.properties.id) { link.href = data.area_url + f.properties.id + "/"; }
          link.textContent = f.properties.name;
          layer.bindPopup(link);
          // A node, not a string: Leaflet puts a string in as HTML, and names are user input.
          var label = document.createElement("span");
          label.textContent = f.properties.name;
          layer.bindTooltip(label, { sticky: true, className: "area-label" });
        }
      });
      a.addTo(map); layers.push(a);
      BryggaMap.untab(a);  // the table beside the map lists every area, with its link
    }
    var group = L.featureGroup(layers);
    if (layers.length) {
      var target = (data.areas && data.areas.features && data.areas.features.length === 1) ? layers[layers.length - 1] : group;
      map.fitBounds(target.getBounds(), { padding: [10, 10] });
    } else {
      map.setView([62.0, 15.0], 5);
    }
    el.brygga = map;
  }
  function start() {
    document.querySelectorAll("[data-map-source]").forEach(init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
