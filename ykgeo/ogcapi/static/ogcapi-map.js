/* ykgeo serve: the maps of the collection, items and item pages, with the Leaflet the server serves itself.
 *
 * No tiles: the features are drawn as they are, over the township outlines fetched from the
 * server's own townships collection, so the map draws on an intranet with no internet.
 * Everything comes from data-* attributes that the page's template escaped; a feature's title
 * reaches the popup as textContent, never as HTML.
 */
(function () {
  "use strict";
  var L = window.L;
  var DEFAULT_STYLE = { color: "#1565c0", weight: 1.5, opacity: 0.9, fillColor: "#64b5f6", fillOpacity: 0.45, radius: 6 };
  var CONTEXT_STYLE = { className: "yk-context", color: "#78909c", weight: 1, opacity: 0.9, fill: false, interactive: false };

  function json(element, name, fallback) {
    var text = element.getAttribute("data-" + name);
    return text ? JSON.parse(text) : fallback;
  }

  /* ?crs=…/EPSG/0/4490 gives coordinates in EPSG:4490's own order (latitude first). */
  function latitudeFirst() {
    var crs = new URLSearchParams(window.location.search).get("crs") || "";
    return /(EPSG\/0\/4490|EPSG:4490)$/.test(crs);
  }

  function newMap(element) {
    var map = L.map(element, { attributionControl: false, zoomSnap: 0.25 });
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  function addContext(map, url) {
    if (!url) return;
    fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) L.geoJSON(data, { style: CONTEXT_STYLE }).addTo(map).bringToBack();
      })
      .catch(function () { /* the outlines are context only: the features stand alone */ });
  }

  /* A feature's style from the layer's symbols (status field → style index), as in the app. */
  function styler(symbols) {
    var styles = symbols.styles || [];
    var index = symbols.index || {};
    return function (feature) {
      var value = symbols.field && feature.properties ? feature.properties[symbols.field] : null;
      var style = styles[value != null && index[String(value)] != null ? index[String(value)] : 0];
      return style || DEFAULT_STYLE;
    };
  }

  function featureLayer(data, options) {
    var swap = latitudeFirst();
    var style = styler(options.symbols || {});
    return L.geoJSON(data, {
      style: style,
      coordsToLatLng: function (c) { return swap ? L.latLng(c[0], c[1]) : L.latLng(c[1], c[0]); },
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, style(feature)); },
      onEachFeature: options.link ? function (feature, layer) {
        layer.bindPopup(function () {
          var link = document.createElement("a");
          var title = options.titleField && feature.properties ? feature.properties[options.titleField] : null;
          link.href = options.link + "/" + encodeURIComponent(feature.id) + "?f=html";
          link.textContent = title == null || title === "" ? String(feature.id) : String(title);
          return link;
        });
      } : null
    });
  }

  function show(map, layer, maxZoom) {
    layer.addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: maxZoom, padding: [12, 12] });
    else map.setView([28.9, 120.05], 10); /* Yongkang */
  }

  function draw(element) {
    var map = newMap(element);
    var bbox = json(element, "bbox", null);
    if (bbox) {
      show(map, L.rectangle([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { color: "#1565c0", weight: 2, fillOpacity: 0.05 }), 12);
    } else {
      var layer = featureLayer(json(element, "features", []), {
        symbols: json(element, "symbols", {}),
        link: element.getAttribute("data-items-path"),
        titleField: element.getAttribute("data-title-field")
      });
      show(map, layer, 16);
    }
    addContext(map, element.getAttribute("data-context"));
  }

  document.querySelectorAll(".yk-map").forEach(draw);
})();
