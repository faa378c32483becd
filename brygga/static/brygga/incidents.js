/* Brygga incidents: the report form (tap the map to choose the place, quick times) and the
   incident map (clustered points, areas shaded by the number of reports).
   No inline script anywhere (CSP): data comes from json_script blocks named by data-* attributes.

   Quick times (browser's local time; the end is never later than now):
   - "Now":          the current minute, no interval.
   - "This evening": 18:00–23:59 today; before 18:00 it means yesterday evening.
   - "Last night":   22:00–06:00 ending this morning; after 22:00 it means tonight until now.
   - "This weekend": the latest Friday 18:00 to Monday 06:00.
   An interval also ticks "I don't know the exact time". */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  /* The background, zoom buttons and boundary of basemap.js, zoomed to the municipality. */
  function baseMap(el, data) {
    var map = BryggaMap.create(el, data);
    var boundary = BryggaMap.boundary(map, data);
    if (boundary) { map.fitBounds(boundary.getBounds(), { padding: [8, 8] }); }
    else { map.setView([62.0, 15.0], 5); }
    return map;
  }

  /* ---- report form ---------------------------------------------------------------------- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function at(base, days, h, m) {
    var d = new Date(base.getTime());
    d.setDate(d.getDate() + days);
    d.setHours(h, m || 0, 0, 0);
    return d;
  }
  function earliest(a, b) { return a < b ? a : b; }

  function quickTime(kind) {
    var now = new Date();
    now.setSeconds(0, 0);
    var start = now, end = null;
    if (kind === "evening") {
      start = at(now, 0, 18);
      if (now < start) { start = at(now, -1, 18); }
      end = earliest(at(start, 0, 23, 59), now);
    } else if (kind === "night") {
      if (now.getHours() >= 22) { start = at(now, 0, 22); end = now; }
      else { start = at(now, -1, 22); end = earliest(at(now, 0, 6), now); }
    } else if (kind === "weekend") {
      var sinceFriday = (now.getDay() - 5 + 7) % 7;
      start = at(now, -sinceFriday, 18);
      if (start > now) { start = at(start, -7, 18); }
      end = earliest(at(start, 3, 6), now);
    }
    return { start: start, end: end };
  }

  function initTimes(form) {
    var from = form.querySelector("[name=occurred_from]");
    var to = form.querySelector("[name=occurred_to]");
    var unknown = form.querySelector("[name=time_unknown]");
    var wrap = document.getElementById("occurred-to-wrap");
    if (!from || !to || !unknown || !wrap) { return; }
    function sync() { wrap.hidden = !unknown.checked; }
    unknown.addEventListener("change", sync);
    sync();
    form.querySelectorAll("[data-quick]").forEach(function (button) {
      button.addEventListener("click", function () {
        var t = quickTime(button.dataset.quick);
        from.value = fmt(t.start);
        unknown.checked = !!t.end;
        to.value = t.end ? fmt(t.end) : "";
        sync();
        form.querySelectorAll("[data-quick]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
      });
    });
  }

  function number(input) {
    if (!input || !input.value) { return null; }
    var v = parseFloat(input.value.replace(/\s/g, "").replace(",", "."));
    return isFinite(v) ? v : null;
  }

  function format(template, values) {
    return Object.keys(values).reduce(function (text, key) {
      return text.replace("%(" + key + ")s", values[key]);
    }, template || "");
  }

  /* The report form's map: a tap (or the position, or typed WGS84 coordinates) chooses the
     place. The status line names the area the point lies in; a point outside the municipality
     (beyond the server's margin) is refused at once, next to the map, and not taken. */
  function initReportMap(el) {
    var data = readData(el.dataset.reportMap);
    var form = el.closest("form");
    if (!data || !form || !window.L || !window.BryggaMap) { return; }
    var map = baseMap(el, data);
    if (data.areas && data.areas.features && data.areas.features.length) {
      // outlines only: a tap on an area chooses a point in it, like anywhere on the map
      L.geoJSON(data.areas, {
        style: { color: "#7a3b00", weight: 1.5, fillColor: "#f2b705", fillOpacity: 0.1 },
        interactive: false
      }).addTo(map);
    }
    var lat = form.querySelector("[name=lat]");
    var lon = form.querySelector("[name=lon]");
    var status = document.getElementById("map-status");
    var error = document.getElementById("map-error");
    var labels = data.labels || {};
    var geometry = data.boundary && data.boundary.geometry;
    var marker = null;

    function inside(la, lo) {
      if (!geometry) { return true; }
      return BryggaMap.contains(geometry, la, lo) ||
        BryggaMap.distance(geometry, la, lo) <= (data.tolerance_m || 0);
    }
    function say(text) { if (status) { status.textContent = text; } }
    var refused = false;  // the fields are marked invalid by this script (not by the server)
    function refuse(on) {
      if (error) { error.textContent = on ? (labels.outside || "") : ""; }
      if (on === refused) { return; }
      refused = on;
      [lat, lon].forEach(function (i) {
        if (!i) { return; }
        if (on) { i.setAttribute("aria-invalid", "true"); } else { i.removeAttribute("aria-invalid"); }
      });
    }
    function show(la, lo) {
      if (marker) { marker.setLatLng([la, lo]); }
      else {
        marker = L.circleMarker([la, lo], {
          radius: 10, color: "#a4161a", weight: 3, fillColor: "#f2b705", fillOpacity: 0.9,
          interactive: false, className: "chosen-point"
        }).addTo(map);
      }
      var area = BryggaMap.featureAt(data.areas, la, lo);
      var values = { lat: la.toFixed(5), lon: lo.toFixed(5) };
      if (area) {
        values.area = area.properties.name;
        say(format(labels.chosen_area, values));
      } else {
        say(format(labels.chosen || "%(lat)s, %(lon)s", values));
      }
    }
    function hide() {
      if (marker) { map.removeLayer(marker); marker = null; }
      say(labels.none || "");
    }
    // A tap or the position: taken only inside the municipality.
    function choose(la, lo) {
      if (!inside(la, lo)) { refuse(true); return false; }
      refuse(false);
      lat.value = la.toFixed(6);
      lon.value = lo.toFixed(6);
      ["sweref_n", "sweref_e"].forEach(function (n) {
        var i = form.querySelector("[name=" + n + "]");
        if (i) { i.value = ""; }
      });
      show(la, lo);
      return true;
    }
    map.on("click", function (e) { choose(e.latlng.lat, e.latlng.lng); });
    // Typed coordinates: the status line follows while typing; the refusal waits for the
    // field to be left (not a message for every keystroke).
    function fromInputs(committed) {
      var la = number(lat), lo = number(lon);
      if (la === null || lo === null || Math.abs(la) > 90 || Math.abs(lo) > 180) {
        hide();
        if (committed) { refuse(false); }
        return;
      }
      if (!inside(la, lo)) {
        hide();
        if (committed) { refuse(true); }
        return;
      }
      refuse(false);
      show(la, lo);
      if (committed) { map.setView([la, lo], Math.max(map.getZoom(), 13)); }
    }
    [lat, lon].forEach(function (i) {
      if (!i) { return; }
      i.addEventListener("input", function () { fromInputs(false); });
      i.addEventListener("change", function () { fromInputs(true); });
    });
    if (number(lat) !== null) { fromInputs(true); }
    else if (data.point) { show(data.point[0], data.point[1]); map.setView(data.point, 14); }

    var locate = document.getElementById("use-position");
    if (locate) {
      if (!navigator.geolocation) { locate.hidden = true; }
      locate.addEventListener("click", function () {
        say(labels.locating || "");
        navigator.geolocation.getCurrentPosition(function (pos) {
          if (choose(pos.coords.latitude, pos.coords.longitude)) {
            map.setView([pos.coords.latitude, pos.coords.longitude], 15);
          } else if (marker) {
            var p = marker.getLatLng();
            show(p.lat, p.lng);  // the point chosen before stays
          } else {
            hide();
          }
        }, function () {
          say(labels.no_position || "");
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }

  /* ---- incident map --------------------------------------------------------------------- */
  var SHADES = ["#fff7d6", "#fde29a", "#f8b84e", "#e07b24", "#a8430f"];

  function shade(n, max) {
    if (!n) { return null; }
    var i = Math.min(SHADES.length - 1, Math.floor((n / Math.max(max, 1)) * SHADES.length));
    return SHADES[Math.max(i, 0)];
  }

  function initIncidentMap(el) {
    var data = readData(el.dataset.incidentMap);
    if (!data || !window.L || !window.BryggaMap) { return; }
    var map = baseMap(el, data);
    var labels = data.labels || {};
    if (data.point) {
      L.circleMarker(data.point, {
        radius: 10, color: "#a4161a", weight: 3, fillColor: "#f2b705", fillOpacity: 0.9,
        interactive: false
      }).addTo(map);
      map.setView(data.point, 14);
      return;
    }
    var layers = [];
    if (data.areas && data.areas.features && data.areas.features.length) {
      var max = 0;
      data.areas.features.forEach(function (f) { max = Math.max(max, f.properties.reports || 0); });
      var areas = L.geoJSON(data.areas, {
        style: function (f) {
          var fill = shade(f.properties.reports, max);
          return {
            color: "#7a3b00", weight: 1.5, fillColor: fill || "#ffffff",
            fillOpacity: fill ? 0.6 : 0.1
          };
        },
        onEachFeature: function (f, layer) {
          var n = f.properties.reports || 0;
          var text = n === 1 ? (labels.one || "1") : (labels.many || "%(n)s").replace("%(n)s", n);
          // A node, not a string: Leaflet puts a string in as HTML, and names are user input.
          var label = document.createElement("span");
          label.textContent = f.properties.name + ": " + text;
          layer.bindTooltip(label, { sticky: true, className: "area-label" });
        }
      }).addTo(map);
      BryggaMap.untab(areas);  // the table "Reports per area" beside the map has the numbers
      layers.push(areas);
    }
    var points = data.points || [];
    if (points.length) {
      var group = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false }) : L.featureGroup();
      points.forEach(function (p) {
        var title = p[3] + " " + p[4];
        var marker = L.marker([p[1], p[2]], {
          icon: L.divIcon({ className: "incident-dot", iconSize: [16, 16] }),
          title: title,
          alt: title
        });
        var link = document.createElement("a");
        link.href = data.detail_url + p[0] + "/";
        link.textContent = title;
        marker.bindPopup(link);
        group.addLayer(marker);
      });
      group.addTo(map);
      layers.push(group);
    }
    // Zoom to where the data is (areas and points), not the whole municipality.
    if (layers.length) {
      var bounds = L.featureGroup(layers).getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 }); }
    }
  }

  function start() {
    var form = document.getElementById("report-form");
    if (form) { initTimes(form); }
    document.querySelectorAll("[data-report-map]").forEach(initReportMap);
    document.querySelectorAll("[data-incident-map]").forEach(initIncidentMap);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
