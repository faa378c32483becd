/* Brygga map: boundary and areas from a JSON data block (no inline script; CSP-safe).
   Works without any tile server: the boundary and areas render on a plain background. */
(function () {
  "use strict";
  function init(el) {
    var source = document.getElementById(el.dataset.mapSource);
    if (!source || !window.L) { return; }
    var data = JSON.parse(source.textContent);
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!(data.tiles && data.tiles.url) });
    if (data.tiles && data.tiles.url) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution || "", maxZoom: 18 }).addTo(map);
    }
    var layers = [];
    if (data.boundary && data.boundary.geometry) {
      var b = L.geoJSON(data.boundary, { style: { color: "#0b4f71", weight: 2, fillColor: "#ffffff", fillOpacity: 0.6 }, interactive: false });
      b.addTo(map); layers.push(b);
    }
    if (data.areas && data.areas.features && data.areas.features.length) {
      var a = L.geoJSON(data.areas, {
        style: function (f) { return { color: "#7a3b00", weight: 1.5, dashArray: f.properties.demo ? "4 3" : null, fillColor: "#f2b705", fillOpacity: 0.25 }; },
        onEachFeature: function (f, layer) {
          var link = document.createElement("a");
          link.href = data.area_url + f.properties.id + "/";
          link.textContent = f.properties.name;
          layer.bindPopup(link);
          // A node, not a string: Leaflet puts a string in as HTML, and names are user input.
          var label = document.createElement("span");
          label.textContent = f.properties.name;
          layer.bindTooltip(label, { sticky: true, className: "area-label" });
        }
      });
      a.addTo(map); layers.push(a);
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
