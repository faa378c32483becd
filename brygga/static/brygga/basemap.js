/* Brygga maps: what every map shares (map.js and incidents.js build on it).
   - The background tiles, if the installation has a tile server (MAP_TILE_URL). The boundary
     and the areas are vector layers of their own, so they show at every zoom level also when
     no tile can be loaded (offline, blocked): the map's plain background is set in brygga.css.
   - Leaflet's zoom buttons and its attribution link with titles in the user's language
     (data.controls).
   - Area shapes are not Tab stops: every map with areas has a table beside it with the same
     information (Leaflet's tooltips make the shapes focusable in Chromium).
   - Point-in-polygon and the distance to a boundary, on GeoJSON in WGS84. */
(function () {
  "use strict";

  function create(el, data) {
    var tiles = data.tiles && data.tiles.url;
    var controls = data.controls || {};
    var map = L.map(el, {
      zoomSnap: 0.25, maxZoom: 19, zoomControl: false, attributionControl: !!tiles
    });
    L.control.zoom({
      zoomInTitle: controls.zoom_in || "Zoom in",
      zoomOutTitle: controls.zoom_out || "Zoom out"
    }).addTo(map);
    var prefix = map.attributionControl && map.attributionControl.options.prefix;
    if (typeof prefix === "string" && controls.leaflet) {
      var title = document.createElement("span");
      title.textContent = controls.leaflet;  // escaped, for an attribute value
      map.attributionControl.setPrefix(prefix.replace(
        'title="A JavaScript library for interactive maps"',
        'title="' + title.innerHTML.replace(/"/g, "&quot;") + '"'
      ));
    }
    if (tiles) {
      L.tileLayer(data.tiles.url, {
        attribution: data.tiles.attribution || "",
        maxNativeZoom: data.tiles.max_zoom || 19,
        maxZoom: 19,
        // The site's origin only, never the page (the pages say "same-origin", which sends no
        // Referer at all; OpenStreetMap's tile usage policy asks web pages for one).
        referrerPolicy: "strict-origin-when-cross-origin"
      }).addTo(map);
    }
    el.brygga = map;
    return map;
  }

  /* The municipality boundary (not clickable: a tap goes through to the map). Its white fill
     sets the municipality off from the plain background; over tiles it is kept faint. */
  function boundary(map, data) {
    if (!data.boundary || !data.boundary.geometry) { return null; }
    var tiles = data.tiles && data.tiles.url;
    return L.geoJSON(data.boundary, {
      style: { color: "#0b4f71", weight: 2.5, fillColor: "#ffffff", fillOpacity: tiles ? 0.15 : 0.6 },
      interactive: false
    }).addTo(map);
  }

  function untab(layer) {
    function apply(l) {
      var el = l.getElement && l.getElement();
      if (el) {
        el.setAttribute("tabindex", "-1");
        el.setAttribute("aria-hidden", "true");
      }
    }
    layer.eachLayer(function (l) {
      apply(l);
      // A map without a view yet draws its layers later (and may draw them again).
      l.on("add", function () { apply(l); });
    });
  }

  /* ---- geometry (GeoJSON Polygon / MultiPolygon, [lon, lat]) ---------------------------- */
  function polygons(geometry) {
    if (!geometry) { return []; }
    if (geometry.type === "Polygon") { return [geometry.coordinates]; }
    if (geometry.type === "MultiPolygon") { return geometry.coordinates; }
    return [];
  }

  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function contains(geometry, lat, lon) {
    return polygons(geometry).some(function (rings) {
      return inRing(rings[0], lon, lat) &&
        !rings.slice(1).some(function (hole) { return inRing(hole, lon, lat); });
    });
  }

  /* Metres from the point to the nearest edge, on a flat projection around the point (exact
     enough for a margin of a few hundred metres). */
  function distance(geometry, lat, lon) {
    var kx = 111320 * Math.cos(lat * Math.PI / 180), ky = 110574, best = Infinity;
    polygons(geometry).forEach(function (rings) {
      rings.forEach(function (ring) {
        for (var i = 1; i < ring.length; i++) {
          var ax = (ring[i - 1][0] - lon) * kx, ay = (ring[i - 1][1] - lat) * ky;
          var bx = (ring[i][0] - lon) * kx, by = (ring[i][1] - lat) * ky;
          var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
          var t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
          var px = ax + t * dx, py = ay + t * dy;
          best = Math.min(best, Math.sqrt(px * px + py * py));
        }
      });
    });
    return best;
  }

  function bboxArea(geometry) {
    var w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
    polygons(geometry).forEach(function (rings) {
      rings[0].forEach(function (c) {
        w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
      });
    });
    return (e - w) * (n - s);
  }

  /* The smallest of the features containing the point (areas may be nested), as the server's
     brygga.incidents.location.area_at chooses. */
  function featureAt(collection, lat, lon) {
    var found = null, size = Infinity;
    ((collection && collection.features) || []).forEach(function (f) {
      if (contains(f.geometry, lat, lon)) {
        var a = bboxArea(f.geometry);
        if (a < size) { found = f; size = a; }
      }
    });
    return found;
  }

  window.BryggaMap = {
    create: create, boundary: boundary, untab: untab,
    contains: contains, distance: distance, featureAt: featureAt
  };
})();
