/* The lägesbild's map (situation/_map.html): the areas shaded by events or rate, Gi* hot-spot
   cells, the density surface and the police events, each fetched as GeoJSON from the URLs in
   the page's JSON data block (no inline script; CSP-safe). The layer control is the form beside
   the map (radio buttons for the shading, check boxes for the other layers); the legend shows
   the classes of the layers that are on. Every figure is also in the tables below the map. */
(function () {
  "use strict";
  var AREA_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var DENSITY_COLOURS = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
  var HOT_COLOURS = { "3": "#b2182b", "2": "#ef8a62", "1": "#fddbc7", "-1": "#d1e5f0", "-2": "#67a9cf", "-3": "#2166ac" };
  var HOT_ORDER = [3, 2, 1, -1, -2, -3];

  function fmt(v) {
    if (v === null || v === undefined) { return "–"; }
    var n = Math.round(v * 10) / 10;
    return n.toLocaleString(document.documentElement.lang || "sv");
  }

  function swatch(colour) {
    var s = document.createElement("span");
    s.className = "legend-swatch";
    s.style.background = colour;
    return s;
  }

  function legendList(items) {
    var ul = document.createElement("ul");
    ul.className = "situation-legend-list";
    items.forEach(function (it) {
      var li = document.createElement("li");
      li.appendChild(swatch(it[0]));
      li.appendChild(document.createTextNode(" " + it[1]));
      ul.appendChild(li);
    });
    return ul;
  }

  function breakItems(breaks, colours, unit) {
    var lower = 0;
    return breaks.map(function (b, i) {
      var text = fmt(lower) + "–" + fmt(b) + (unit ? " " + unit : "");
      lower = b;
      return [colours[i + Math.max(0, colours.length - breaks.length)], text];
    });
  }

  function init(el) {
    var source = document.getElementById(el.dataset.situationMap);
    if (!source || !window.L || !window.BryggaMap) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var root = el.closest("[data-situation-map-root]") || document;
    var controls = root.querySelector("[data-situation-layers]");
    var legend = root.querySelector("[data-situation-legend]");
    var status = root.querySelector("[data-situation-status]");
    var map = BryggaMap.create(el, data);
    BryggaMap.boundary(map, data);
    if (data.bounds) { map.fitBounds(data.bounds, { padding: [10, 10] }); } else { map.setView([62.0, 15.0], 5); }
    var loaded = {}, layers = {}, pending = 0;

    function say(text) { if (status) { status.textContent = text; } }

    function fetchLayer(name) {
      if (loaded[name]) { return loaded[name]; }
      pending += 1;
      say(labels.loading || "");
      loaded[name] = fetch(data.urls[name], { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (json) { pending -= 1; if (!pending) { say(""); } return json; })
        .catch(function (err) { pending -= 1; delete loaded[name]; say(labels.failed || "Error"); throw err; });
      return loaded[name];
    }

    function areaLayer(json, key) {
      var breaks = (json.breaks && json.breaks[key === "class_rate" ? "rate" : "events"]) || [];
      var offset = AREA_COLOURS.length - breaks.length;
      var layer = L.geoJSON(json, {
        style: function (f) {
          var c = f.properties[key];
          return {
            color: "#5a2d00", weight: 1,
            fillColor: c ? AREA_COLOURS[c - 1 + offset] : "#ffffff",
            fillOpacity: c ? 0.65 : 0.1
          };
        },
        onEachFeature: function (f, l) {
          var p = f.properties, label = document.createElement("span");
          label.textContent = p.name + ": " + fmt(p.events) + " " + (labels.events || "") +
            (p.rate === null ? " (" + (labels.no_population || "") + ")" : ", " + fmt(p.rate) + " " + (labels.rate || ""));
          l.bindTooltip(label, { sticky: true });
        }
      });
      layer.legendTitle = key === "class_rate" ? labels.areas_rate : labels.areas_events;
      layer.legendItems = breakItems(breaks, AREA_COLOURS, key === "class_rate" ? labels.rate : labels.events);
      return layer;
    }

    var builders = {
      areas_events: function () { return fetchLayer("areas").then(function (j) { return areaLayer(j, "class_events"); }); },
      areas_rate: function () { return fetchLayer("areas").then(function (j) { return areaLayer(j, "class_rate"); }); },
      hotspots: function () {
        return fetchLayer("hotspots").then(function (j) {
          var layer = L.geoJSON(j, {
            style: function (f) { return { stroke: false, fillColor: HOT_COLOURS[String(f.properties["class"])], fillOpacity: 0.75 }; },
            onEachFeature: function (f, l) {
              var t = document.createElement("span");
              t.textContent = f.properties.label + " (" + f.properties.events + " " + (labels.events || "") + ")";
              l.bindTooltip(t, { sticky: true });
            }
          });
          layer.legendTitle = labels.hotspots;
          layer.legendItems = HOT_ORDER.map(function (k, i) { return [HOT_COLOURS[String(k)], (labels.hot || [])[i]]; });
          return layer;
        });
      },
      density: function () {
        return fetchLayer("density").then(function (j) {
          var breaks = j.breaks || [], offset = DENSITY_COLOURS.length - breaks.length;
          var layer = L.geoJSON(j, {
            style: function (f) { return { stroke: false, fillColor: DENSITY_COLOURS[f.properties["class"] - 1 + offset], fillOpacity: 0.6 }; },
            interactive: false
          });
          layer.legendTitle = labels.density;
          layer.legendItems = breakItems(breaks, DENSITY_COLOURS, labels.density_unit);
          return layer;
        });
      },
      police: function () {
        return fetchLayer("police").then(function (j) {
          var layer = L.geoJSON(j, {
            pointToLayer: function (f, latlng) {
              return L.circleMarker(latlng, { radius: 4, color: "#0b2f4a", weight: 1, fillColor: "#1f78b4", fillOpacity: 0.8 });
            },
            onEachFeature: function (f, l) {
              var t = document.createElement("span");
              t.textContent = f.properties.type + ", " + new Date(f.properties.time).toLocaleString(document.documentElement.lang || "sv");
              l.bindTooltip(t);
            }
          });
          layer.legendTitle = labels.police;
          layer.legendItems = [["#1f78b4", labels.police + " (" + j.features.length + (j.truncated ? " / " + j.total : "") + ")"]];
          return layer;
        });
      }
    };

    function drawLegend() {
      if (!legend) { return; }
      legend.textContent = "";
      var on = Object.keys(layers).filter(function (k) { return layers[k] && map.hasLayer(layers[k]); });
      on.forEach(function (k) {
        var h = document.createElement("p");
        h.className = "situation-legend-title";
        h.textContent = layers[k].legendTitle || k;
        legend.appendChild(h);
        legend.appendChild(legendList(layers[k].legendItems || []));
      });
      legend.hidden = on.length === 0;
    }

    function show(name, visible) {
      if (!builders[name]) { return Promise.resolve(); }
      if (!visible) {
        if (layers[name]) { map.removeLayer(layers[name]); }
        drawLegend();
        return Promise.resolve();
      }
      var p = layers[name] ? Promise.resolve(layers[name]) : builders[name]().then(function (l) { layers[name] = l; return l; });
      return p.then(function (l) {
        l.addTo(map);
        BryggaMap.untab(l);
        if (name === "areas_events" || name === "areas_rate") { l.bringToBack(); }
        drawLegend();
      }).catch(function () { drawLegend(); });
    }

    function sync() {
      if (!controls) { return; }
      var jobs = [];
      controls.querySelectorAll("input[data-layer]").forEach(function (input) {
        var name = input.dataset.layer;
        if (name) { jobs.push(show(name, input.checked)); }
      });
      return Promise.all(jobs).then(function () { el.dataset.layersReady = "1"; });
    }

    if (controls) {
      controls.addEventListener("change", function () { el.dataset.layersReady = ""; sync(); });
      controls.hidden = false;
    }
    el.brygga = map;
    sync();
  }

  function start() {
    document.querySelectorAll("[data-situation-map]").forEach(init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
