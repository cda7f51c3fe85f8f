/* ykgeo map runtime: layers, raster overlays, grouped layer control, legend, tooltips, popups,
 * basemaps, GCJ-02.
 *
 * Built for maps made by ykgeo/maps.py. Every value that comes from data is put into the page
 * with textContent (never innerHTML), so a feature named <img src=x onerror=alert(1)> shows as
 * text. Styles are precomputed on the server: a feature carries a style index ("s") and one style
 * function looks it up, so colouring costs O(1) per feature.
 *
 * Needs Leaflet 1.9 (served from ykgeo/assets/leaflet by the app, never from a CDN).
 */
(function () {
  "use strict";
  var L = window.L;

  /* ---- GCJ-02 (the offset of AMap/Tencent tiles), same formulas as ykgeo.crs ---- */
  var KRASOVSKY_A = 6378245.0;
  var KRASOVSKY_EE = 0.00669342162296594323;

  function outOfChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var x = lon - 105.0, y = lat - 35.0, PI = Math.PI;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += common;
    dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += common;
    dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI;
    var magic = 1.0 - KRASOVSKY_EE * Math.sin(rad) * Math.sin(rad);
    var sqrtMagic = Math.sqrt(magic);
    dlat = dlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrtMagic) * PI);
    dlon = dlon * 180.0 / (KRASOVSKY_A / sqrtMagic * Math.cos(rad) * PI);
    return [lon + dlon, lat + dlat];
  }

  function toGcj(latlng) {
    var g = wgs84ToGcj02(latlng.lng, latlng.lat);
    return L.latLng(g[1], g[0]);
  }

  function toWgs(latlng) {
    /* GCJ-02 → WGS84 by fixed-point iteration (as ykgeo.crs.gcj02_to_wgs84), to well under 1 cm. */
    var w = [latlng.lng, latlng.lat];
    for (var i = 0; i < 6; i += 1) {
      var g = wgs84ToGcj02(w[0], w[1]);
      w = [w[0] - (g[0] - latlng.lng), w[1] - (g[1] - latlng.lat)];
    }
    return L.latLng(w[1], w[0]);
  }

  /* A tile layer whose tiles are in GCJ-02 (AMap). The data stay in CGCS2000/WGS84: only the
   * tiles' display is shifted. The layer is laid out as if the map were centred on GCJ(centre),
   * which puts the tile content for the view centre exactly on its WGS84 place; each tile is
   * then nudged by how the GCJ offset at its own centre differs from the offset at the view
   * centre, so places anywhere in the view land within a pixel or so (the offset changes by
   * tens of metres across the city). The layout is redone after every move. */
  var GcjTileLayer = L.TileLayer && L.TileLayer.extend({
    _setZoomTransform: function (level, center, zoom) {
      this._ykCentre = center;
      return L.TileLayer.prototype._setZoomTransform.call(this, level, toGcj(center), zoom);
    },
    _getTiledPixelBounds: function (center) {
      return L.TileLayer.prototype._getTiledPixelBounds.call(this, toGcj(center));
    },
    _getTilePos: function (coords) {
      var pos = L.TileLayer.prototype._getTilePos.call(this, coords);
      var map = this._map, centre = this._ykCentre;
      if (!map || !centre) return pos;
      var size = this.getTileSize(), z = coords.z;
      var contentCentre = map.unproject(coords.scaleBy(size).add(size.divideBy(2)), z);
      var place = toWgs(contentCentre);
      var shiftHere = map.project(contentCentre, z).subtract(map.project(place, z));
      var shiftCentre = map.project(toGcj(centre), z).subtract(map.project(centre, z));
      return pos.add(shiftCentre.subtract(shiftHere).round());
    },
    _onMoveEnd: function () {
      if (!this._map || this._map._animatingZoom) return;
      this._setView(this._map.getCenter(), this._map.getZoom());
      for (var key in this._tiles) {
        var tile = this._tiles[key];
        L.DomUtil.setPosition(tile.el, this._getTilePos(tile.coords));
      }
    }
  });

  /* ---- small DOM helpers: text only ---- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function storage() {
    try {
      var s = window.sessionStorage;
      s.setItem("__yk", "1");
      s.removeItem("__yk");
      return s;
    } catch (err) {
      return null;
    }
  }

  function readState(key) {
    var s = storage();
    if (!s || !key) return null;
    try {
      return JSON.parse(s.getItem(key) || "null");
    } catch (err) {
      return null;
    }
  }

  function writeState(key, state) {
    var s = storage();
    if (!s || !key) return;
    try {
      s.setItem(key, JSON.stringify(state));
    } catch (err) { /* storage full or blocked: the view is just not kept */ }
  }

  /* ---- feature layers ---- */
  /* Features arrive as {i: id, s: style index, t: title, p: [values], g: geometry}, the
   * geometry's rings/lines as flat integer deltas [x0, y0, dx1, dy1, ...] in 1/scale degrees
   * from the layer's origin (see ykgeo.maps._encode_geometries). */
  function decodeFeatures(lc) {
    var ox = lc.origin[0], oy = lc.origin[1], scale = lc.scale;
    function line(flat) {
      var out = new Array(flat.length / 2), x = 0, y = 0;
      for (var i = 0, j = 0; i < flat.length; i += 2, j += 1) {
        x += flat[i];
        y += flat[i + 1];
        out[j] = [ox + x / scale, oy + y / scale];
      }
      return out;
    }
    function point(xy) { return [ox + xy[0] / scale, oy + xy[1] / scale]; }
    var decode = {
      Point: point,
      MultiPoint: function (g) { return g.map(point); },
      MultiLineString: function (g) { return g.map(line); },
      MultiPolygon: function (g) { return g.map(function (poly) { return poly.map(line); }); }
    }[lc.gtype];
    var out = new Array(lc.features.length);
    for (var k = 0; k < lc.features.length; k += 1) {
      var f = lc.features[k];
      var g = f.g;
      delete f.g;
      out[k] = { type: "Feature", properties: f, geometry: { type: lc.gtype, coordinates: decode(g) } };
    }
    lc.features = null;
    return { type: "FeatureCollection", features: out };
  }

  function tooltipNode(layerCfg, props) {
    var box = el("div", "yk-tip");
    box.appendChild(el("div", "yk-tip-layer", layerCfg.name));
    var title = props.t !== undefined && props.t !== null ? props.t : props.i;
    box.appendChild(el("div", "yk-tip-title", title));
    (layerCfg.tip || []).forEach(function (idx) {
      var value = props.p ? props.p[idx] : null;
      if (value === null || value === undefined || value === "") return;
      var row = el("div", "yk-tip-row");
      row.appendChild(el("span", "yk-k", layerCfg.fields[idx] + "："));
      row.appendChild(el("span", "yk-v", value));
      box.appendChild(row);
    });
    return box;
  }

  /* The words of the runtime itself, in the map's language (cfg.text from ykgeo.maps). */
  var TEXT = {
    layers: "图层", basemap: "底图", legend: "图例", hint: "详细信息与变更记录见地图右侧",
    fullscreen: "全屏", exitFullscreen: "退出全屏", print: "打印当前视图", printShort: "打印",
    measureLine: "测距离（椭球，km）", measureArea: "测面积（椭球，亩）", measureClear: "清除测量",
    measureStart: "单击开始", measureCont: "单击继续，双击结束", measureClose: "单击第一个点闭合",
    cancel: "取消", finish: "完成", undo: "撤销上一点",
    tilesFailed: "底图“{name}”的瓦片无法加载（可能没有网络），已改用离线底图。"
  };

  function popupNode(layerCfg, props) {
    var box = el("div", "yk-popup");
    box.appendChild(el("div", "yk-popup-layer", layerCfg.name));
    var table = el("table", "yk-popup-table");
    layerCfg.fields.forEach(function (label, idx) {
      var value = props.p ? props.p[idx] : null;
      var tr = el("tr");
      tr.appendChild(el("th", null, label));
      tr.appendChild(el("td", null, value === null || value === undefined ? "—" : value));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (layerCfg.selectable) box.appendChild(el("div", "yk-popup-hint", TEXT.hint));
    return box;
  }

  function reportSelection(layerCfg, props) {
    /* streamlit-folium returns `last_object_clicked_tooltip` to Python; ykgeo puts a
     * machine-readable selection key there (the map's click then triggers the update). */
    var key = layerCfg.kind === "aggregate"
      ? { township: props.i }
      : { layer: layerCfg.key, id: props.i };
    var data = window.__GLOBAL_DATA__;
    if (data) data.last_object_clicked_tooltip = "yk:" + JSON.stringify(key);
    YK.lastSelection = key;
  }

  /* The selected feature: outlined in cyan until another is selected. */
  function highlight(shared, layer, owner) {
    if (shared.selected && shared.selectedOwner) shared.selectedOwner.resetStyle(shared.selected);
    shared.selected = null;
    if (!layer || !layer.setStyle) return;
    layer.setStyle({ color: "#00b8d4", weight: 4, opacity: 1 });
    if (layer.bringToFront) layer.bringToFront();
    shared.selected = layer;
    shared.selectedOwner = owner;
  }

  function makeLayer(map, cfg, layerCfg, renderer, shared) {
    var styles = layerCfg.styles;
    var found = null;
    var gj = L.geoJSON(decodeFeatures(layerCfg), {
      renderer: renderer,
      style: function (feature) {
        return styles[feature.properties.s] || styles[0];
      },
      pointToLayer: function (feature, latlng) {
        var st = styles[feature.properties.s] || styles[0];
        return L.circleMarker(latlng, L.extend({ radius: st.radius || 6, renderer: renderer }, st));
      },
      interactive: layerCfg.interactive !== false
    });
    var group = gj;
    if (layerCfg.labels) {
      var labels = L.layerGroup();
      layerCfg.labels.forEach(function (lab) {
        labels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "yk-label", interactive: false })
          .setLatLng([lab[1], lab[0]]).setContent(el("span", null, lab[2])));
      });
      group = L.featureGroup([group, labels]);
    }
    if (layerCfg.interactive !== false) {
      group.on("mouseover", function (e) {
        var f = e.layer && e.layer.feature;
        if (!f) return;
        shared.tip.setContent(tooltipNode(layerCfg, f.properties)).setLatLng(e.latlng);
        map.openTooltip(shared.tip);
      });
      group.on("mousemove", function (e) { shared.tip.setLatLng(e.latlng); });
      group.on("mouseout", function () { map.closeTooltip(shared.tip); });
      group.on("click", function (e) {
        var f = e.layer && e.layer.feature;
        if (!f) return;
        map.closeTooltip(shared.tip);
        L.popup({ maxWidth: 360, autoPanPadding: [20, 20], autoPanPaddingBottomRight: shared.popupPadding() })
          .setLatLng(e.latlng).setContent(popupNode(layerCfg, f.properties)).openOn(map);
        if (layerCfg.selectable) {
          highlight(shared, e.layer, gj);
          reportSelection(layerCfg, f.properties);
        }
      });
    }
    if (cfg.selected && cfg.selected.layer === layerCfg.key) {
      gj.eachLayer(function (f) {
        if (f.feature && f.feature.properties.i === cfg.selected.id && f.setStyle) found = f;
      });
      if (found) highlight(shared, found, gj);
    }
    return group;
  }

  /* ---- controls ---- */
  /* The layer control, grouped by theme. Like Leaflet's own with `collapsed: true` (the
   * default): only its button shows; it opens while the pointer is over it (or the button has
   * the keyboard focus), and a click (a tap) on the button keeps it open until the button is
   * clicked again or the map is clicked. `collapsed: false` keeps it open. */
  var GroupedLayers = L.Control.extend({
    options: { position: "topright", collapsed: true },
    initialize: function (spec, options) {
      L.setOptions(this, options);
      this._spec = spec; /* {basemaps: [{id, name, layer}], groups: [{theme, items: [{key, name, layer, count}]}]} */
    },
    onAdd: function (map) {
      var self = this;
      var box = el("div", "leaflet-bar yk-layers");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var toggle = el("a", "yk-layers-toggle", TEXT.layers);
      toggle.href = "#";
      toggle.title = TEXT.layers;
      toggle.setAttribute("role", "button");
      var panel = el("div", "yk-layers-panel");
      box.appendChild(toggle);
      box.appendChild(panel);
      var pinned = !this.options.collapsed;
      function show(open) {
        box.classList.toggle("yk-open", open);
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
      show(pinned);
      L.DomEvent.on(toggle, "click", function (e) {
        L.DomEvent.preventDefault(e);
        pinned = !pinned;
        show(pinned || !self.options.collapsed);
      });
      L.DomEvent.on(toggle, "focus", function () { show(true); });
      if (this.options.collapsed) {
        L.DomEvent.on(box, "mouseenter", function () { show(true); });
        L.DomEvent.on(box, "mouseleave", function () { if (!pinned) show(false); });
        L.DomEvent.on(toggle, "blur", function () {
          if (!pinned && !box.matches(":hover")) show(false);
        });
        this._collapse = function () { pinned = false; show(false); };
        map.on("click", this._collapse);
      }
      if (this._spec.basemaps.length > 1) {
        panel.appendChild(el("div", "yk-layers-theme", TEXT.basemap));
        this._spec.basemaps.forEach(function (b) {
          var label = el("label", "yk-layers-item");
          var input = el("input");
          input.type = "radio";
          input.name = "yk-basemap";
          input.checked = b.id === self.options.basemap;
          input.setAttribute("data-basemap", b.id);
          L.DomEvent.on(input, "change", function () { self.options.onBasemap(b.id); });
          label.appendChild(input);
          label.appendChild(el("span", null, b.name));
          panel.appendChild(label);
        });
      }
      this._spec.groups.forEach(function (g) {
        panel.appendChild(el("div", "yk-layers-theme", g.theme));
        g.items.forEach(function (item) {
          var label = el("label", "yk-layers-item");
          var input = el("input");
          input.type = "checkbox";
          input.checked = map.hasLayer(item.layer);
          input.setAttribute("data-layer", item.key);
          L.DomEvent.on(input, "change", function () { self.options.onOverlay(item.key, input.checked); });
          label.appendChild(input);
          label.appendChild(el("span", null, item.name));
          if (item.note) label.appendChild(el("span", "yk-layers-note", item.note));
          panel.appendChild(label);
        });
      });
      return box;
    },
    onRemove: function (map) {
      if (this._collapse) map.off("click", this._collapse);
    }
  });

  /* The legend: a button (图例) that folds it away or opens it. Until the planner uses the
   * button it follows the map's width: folded on a narrow map (under `narrow` px), open on a
   * wide one; the planner's own choice is kept (`options.open`, `options.onToggle`). */
  var Legend = L.Control.extend({
    options: { position: "bottomright", narrow: 700, open: null, onToggle: null },
    onAdd: function (map) {
      var self = this;
      var box = el("div", "yk-legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var toggle = el("button", "yk-legend-toggle", TEXT.legend);
      toggle.type = "button";
      toggle.title = TEXT.legend;
      this._body = el("div", "yk-legend-body");
      box.appendChild(toggle);
      box.appendChild(this._body);
      this._box = box;
      this._toggle = toggle;
      this._chosen = typeof this.options.open === "boolean" ? this.options.open : null;
      L.DomEvent.on(toggle, "click", function (e) {
        L.DomEvent.preventDefault(e);
        self._chosen = box.classList.contains("yk-collapsed");
        self._show(self._chosen);
        if (self.options.onToggle) self.options.onToggle(self._chosen);
      });
      this._fit = function () { self.fit(); };
      map.on("resize", this._fit);
      this.fit(map);
      return box;
    },
    onRemove: function (map) {
      map.off("resize", this._fit);
    },
    /* open or folded as chosen, or else by the width of the map */
    fit: function (map) {
      map = map || this._map;
      if (!map || !this._box) return;
      var width = map.getSize().x;
      if (this._chosen === null && !width) return; /* not laid out yet */
      this._show(this._chosen !== null ? this._chosen : width >= this.options.narrow);
    },
    chosen: function () { return this._chosen; },
    _show: function (open) {
      this._box.classList.toggle("yk-collapsed", !open);
      this._toggle.setAttribute("aria-expanded", open ? "true" : "false");
    },
    update: function (layers) {
      var body = this._body;
      while (body.firstChild) body.removeChild(body.firstChild);
      layers.forEach(function (lc) {
        if (!lc.legend || !lc.legend.length) return;
        body.appendChild(el("div", "yk-legend-layer", lc.name));
        lc.legend.forEach(function (entry) {
          var row = el("div", "yk-legend-row");
          var sw = el("span", "yk-swatch yk-swatch-" + (entry[2] || "fill"));
          sw.style.setProperty("--yk-colour", entry[1]);
          row.appendChild(sw);
          row.appendChild(el("span", null, entry[0]));
          body.appendChild(row);
        });
      });
      this._box.style.display = body.childNodes.length ? "" : "none";
    }
  });

  /* ---- tools: fullscreen, measuring, print this view ---- */
  /* Results go back to Python the way streamlit-folium returns drawings: a "draw:created"
   * event whose layer carries a GeoJSON feature (streamlit-folium puts it in
   * `last_active_drawing`). Python measures it on the ellipsoid (ykgeo.area) or prints the
   * view (ykgeo.maps); nothing is computed here. */
  var nonce = 0;

  function report(map, layer, props) {
    nonce += 1;
    props.n = nonce;
    props.t = Date.now();
    layer.feature = { type: "Feature", properties: props };
    map.fire("draw:created", { layer: layer, layerType: props.yk });
  }

  function addTools(map, cfg, switchable, layerObjs, basemapNow) {
    var tools = cfg.tools || {};
    if (tools.fullscreen && L.Control.FullScreen) {
      L.control.fullscreen({
        position: "topleft", title: TEXT.fullscreen, titleCancel: TEXT.exitFullscreen,
        forceSeparateButton: true
      }).addTo(map);
    }
    if (tools.measure && L.Control.Draw) {
      var local = L.drawLocal.draw;
      local.toolbar.actions = { title: TEXT.cancel, text: TEXT.cancel };
      local.toolbar.finish = { title: TEXT.finish, text: TEXT.finish };
      local.toolbar.undo = { title: TEXT.undo, text: TEXT.undo };
      local.toolbar.buttons.polyline = TEXT.measureLine;
      local.toolbar.buttons.polygon = TEXT.measureArea;
      local.handlers.polyline.tooltip = { start: TEXT.measureStart, cont: TEXT.measureCont, end: TEXT.measureCont };
      local.handlers.polygon.tooltip = { start: TEXT.measureStart, cont: TEXT.measureCont, end: TEXT.measureClose };
      L.drawLocal.edit.toolbar.buttons.remove = TEXT.measureClear;
      L.drawLocal.edit.toolbar.buttons.removeDisabled = TEXT.measureClear;
      L.drawLocal.edit.toolbar.actions.save = { title: TEXT.finish, text: TEXT.finish };
      L.drawLocal.edit.toolbar.actions.cancel = { title: TEXT.cancel, text: TEXT.cancel };
      L.drawLocal.edit.toolbar.actions.clearAll = { title: TEXT.measureClear, text: TEXT.measureClear };
      var measured = L.featureGroup().addTo(map);
      var shape = { color: "#d81b60", weight: 3, opacity: 0.9, fillOpacity: 0.15, dashArray: "6 4" };
      new L.Control.Draw({
        position: "topleft",
        draw: {
          polyline: { shapeOptions: shape, showLength: false, metric: true },
          polygon: { shapeOptions: shape, showArea: false, showLength: false, allowIntersection: false },
          rectangle: false, circle: false, marker: false, circlemarker: false
        },
        edit: { featureGroup: measured, edit: false, remove: true }
      }).addTo(map);
      map.on("draw:created", function (e) {
        if (e.layerType !== "polyline" && e.layerType !== "polygon") return;
        e.layer.feature = { type: "Feature", properties: { yk: "measure", n: (nonce += 1) } };
        measured.addLayer(e.layer);
      });
    }
    if (tools.print) {
      var Print = L.Control.extend({
        options: { position: "topleft" },
        onAdd: function () {
          var bar = el("div", "leaflet-bar yk-print");
          var button = el("a", "yk-print-button", TEXT.printShort);
          button.href = "#";
          button.title = TEXT.print;
          button.setAttribute("role", "button");
          button.setAttribute("aria-label", TEXT.print);
          L.DomEvent.disableClickPropagation(bar);
          L.DomEvent.on(button, "click", function (e) {
            L.DomEvent.preventDefault(e);
            var hidden = switchable.filter(function (lc) { return !map.hasLayer(layerObjs[lc.key]); })
              .map(function (lc) { return lc.key; });
            var size = map.getSize();
            report(map, L.rectangle(map.getBounds()), {
              yk: "print", hidden: hidden, basemap: basemapNow(), zoom: map.getZoom(),
              width: size.x, height: size.y
            });
          });
          bar.appendChild(button);
          return bar;
        }
      });
      new Print().addTo(map);
    }
  }

  /* ---- entry point ---- */
  var YK = {
    version: 1,
    wgs84ToGcj02: wgs84ToGcj02,
    maps: [],
    lastSelection: null,

    init: function (map, cfg) {
      var started = (window.performance && performance.now()) || 0;
      if (cfg.text) {
        for (var word in TEXT) {
          if (typeof cfg.text[word] === "string") TEXT[word] = cfg.text[word];
        }
      }
      var state = readState(cfg.storageKey) || {};
      var renderer = L.canvas({ padding: 0.5, tolerance: 6 });
      var shared = { tip: L.tooltip({ direction: "top", offset: [0, -8], className: "yk-tooltip", opacity: 0.95 }) };
      if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
      map.getContainer().classList.add("yk-map");

      /* basemaps */
      var basemapLayers = {};
      var basemaps = (cfg.basemaps || []).map(function (b) {
        var layers = (b.tiles || []).map(function (t) {
          var Klass = b.gcj02 ? GcjTileLayer : L.TileLayer;
          return new Klass(t.url, {
            subdomains: t.subdomains || "abc",
            maxZoom: 20,
            maxNativeZoom: t.maxNativeZoom || 18,
            attribution: t.attribution || "",
            crossOrigin: false
          });
        });
        basemapLayers[b.id] = L.layerGroup(layers);
        return { id: b.id, name: b.name, layer: basemapLayers[b.id], gcj02: !!b.gcj02 };
      });
      /* An online basemap whose tiles cannot load (no network, blocked, bad key) must not
       * leave a blank map under a caption that claims it: after a few failed tiles and none
       * loaded, say so on the map and go back to the offline basemap. */
      var notice = null;
      function watchTiles(b) {
        var failed = 0, loaded = 0;
        b.layer.eachLayer(function (tiles) {
          tiles.on("tileload", function () { loaded += 1; });
          tiles.on("tileerror", function () {
            failed += 1;
            if (loaded || failed < 3 || currentBasemap !== b.id) return;
            switchBasemap("offline");
            map.getContainer().setAttribute("data-yk-basemap-failed", b.id);
            if (!notice) {
              notice = L.control({ position: "topright" });
              notice.onAdd = function () { return el("div", "yk-notice"); };
              notice.addTo(map);
            }
            notice.getContainer().textContent = TEXT.tilesFailed.replace("{name}", b.name);
          });
        });
      }
      basemaps.forEach(function (b) { if (b.id !== "offline") watchTiles(b); });
      var currentBasemap = basemapLayers[state.basemap] && cfg.keepBasemap ? state.basemap : cfg.basemap;
      if (!basemapLayers[currentBasemap] && basemaps.length) currentBasemap = basemaps[0].id;
      if (basemapLayers[currentBasemap]) basemapLayers[currentBasemap].addTo(map);
      map.getContainer().setAttribute("data-yk-basemap", currentBasemap || "");

      /* feature layers */
      var layerObjs = {};
      var byKey = {};
      var hidden = state.hidden || {};
      var count = 0;
      (cfg.layers || []).forEach(function (lc) {
        var layer = makeLayer(map, cfg, lc, renderer, shared);
        layerObjs[lc.key] = layer;
        byKey[lc.key] = lc;
        var visible = hidden[lc.key] === undefined ? lc.visible !== false : !hidden[lc.key];
        if (visible) layer.addTo(map);
        count += lc.count || 0;
      });
      if (shared.selected && shared.selected.bringToFront) shared.selected.bringToFront();

      /* raster overlays: images (PNG data URLs made by ykgeo.maps) in a pane of their own,
       * above the basemap tiles and under every feature, off unless chosen */
      var rasters = cfg.rasters || [];
      if (rasters.length) {
        var pane = map.createPane("ykRaster");
        pane.style.zIndex = 350;
        pane.style.pointerEvents = "none";
      }
      rasters.forEach(function (rc) {
        if (!/^data:image\/png;base64,/.test(rc.url)) return; /* only images carried in the map */
        var image = L.imageOverlay(rc.url, rc.bounds, {
          pane: "ykRaster", opacity: rc.opacity, interactive: false,
          className: rc.categorical ? "yk-raster yk-raster-classes" : "yk-raster"
        });
        image.on("add", function () {
          var img = image.getElement();
          if (img) img.setAttribute("data-yk-raster", rc.key);
        });
        layerObjs[rc.key] = image;
        byKey[rc.key] = rc;
        var visible = hidden[rc.key] === undefined ? rc.visible === true : !hidden[rc.key];
        if (visible) image.addTo(map);
      });
      /* every switchable layer, rasters first in the legend (they lie underneath) */
      var switchable = rasters.filter(function (rc) { return layerObjs[rc.key]; }).concat(cfg.layers || []);

      var legend = new Legend({
        open: typeof state.legendOpen === "boolean" ? state.legendOpen : null,
        onToggle: function () { save(); }
      });
      legend.addTo(map);
      function refreshLegend() {
        legend.update(switchable.filter(function (lc) { return map.hasLayer(layerObjs[lc.key]); }));
      }
      refreshLegend();
      /* a popup opens clear of the legend (the map pans it out from under it) */
      shared.popupPadding = function () {
        var box = legend.getContainer();
        if (!box || box.style.display === "none") return [20, 20];
        return [box.offsetWidth + 24, box.offsetHeight + 24];
      };
      L.control.scale({ metric: true, imperial: false, position: "bottomleft", maxWidth: 150 }).addTo(map);
      addTools(map, cfg, switchable, layerObjs, function () { return currentBasemap; });

      function save() {
        /* a map being taken down (its container detached or hidden when the page reruns) must
         * not overwrite the view the planner left */
        var box = map.getContainer();
        if (!box.isConnected || !box.clientWidth || !box.clientHeight) return;
        var c = map.getCenter();
        var hiddenNow = {};
        switchable.forEach(function (lc) { hiddenNow[lc.key] = !map.hasLayer(layerObjs[lc.key]); });
        writeState(cfg.storageKey, {
          center: [c.lat, c.lng], zoom: map.getZoom(), token: cfg.view && cfg.view.token,
          basemap: currentBasemap, hidden: hiddenNow, legendOpen: legend.chosen()
        });
      }

      function switchBasemap(id) {
        if (basemapLayers[currentBasemap]) map.removeLayer(basemapLayers[currentBasemap]);
        currentBasemap = id;
        if (basemapLayers[id]) basemapLayers[id].addTo(map);
        map.getContainer().setAttribute("data-yk-basemap", id);
        var radio = map.getContainer().querySelector("input[data-basemap='" + id + "']");
        if (radio) radio.checked = true;
        save();
      }

      var groups = [];
      var themeIndex = {};
      switchable.forEach(function (lc) {
        if (themeIndex[lc.theme] === undefined) {
          themeIndex[lc.theme] = groups.length;
          groups.push({ theme: lc.theme, items: [] });
        }
        groups[themeIndex[lc.theme]].items.push({ key: lc.key, name: lc.name, layer: layerObjs[lc.key], note: lc.note });
      });
      new GroupedLayers({ basemaps: basemaps, groups: groups }, {
        collapsed: true,
        basemap: currentBasemap,
        onBasemap: function (id) { switchBasemap(id); },
        onOverlay: function (key, on) {
          if (on) layerObjs[key].addTo(map); else map.removeLayer(layerObjs[key]);
          refreshLegend();
          save();
        }
      }).addTo(map);

      /* view: a new focus request (token) wins; otherwise the view the user left */
      var view = cfg.view || {};
      var fitRequested = !!view.bounds && (state.token !== view.token || !state.center);
      if (fitRequested) {
        map.fitBounds(view.bounds, { padding: [16, 16], maxZoom: view.maxZoom || 17, animate: false });
      } else if (state.center) {
        map.setView(state.center, state.zoom, { animate: false });
      }
      map.on("moveend", save);
      save();

      /* The iframe of streamlit-folium is sized after the map is made: follow the container,
       * and until the planner moves the map keep showing the view that was asked for. */
      var touched = false;
      var container = map.getContainer();
      ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (type) {
        container.addEventListener(type, function () { touched = true; }, { passive: true });
      });
      if (window.ResizeObserver) {
        var lastSize = map.getSize();
        new window.ResizeObserver(function () {
          var size = L.point(container.clientWidth, container.clientHeight);
          if (!size.x || !size.y || !container.isConnected) return; /* hidden or taken down */
          if (size.x === lastSize.x && size.y === lastSize.y) return;
          lastSize = size;
          map.invalidateSize({ pan: false });
          if (!touched && fitRequested) {
            map.fitBounds(view.bounds, { padding: [16, 16], maxZoom: view.maxZoom || 17, animate: false });
          }
        }).observe(container);
      }
      container.setAttribute("data-yk-features", String(count));
      container.setAttribute("data-yk-ready", "1");
      YK.maps.push(map);
      YK.stats = { features: count, initMs: ((window.performance && performance.now()) || 0) - started, readyAt: Date.now() };
      return map;
    },

    featureCount: function () {
      var n = 0;
      YK.maps.forEach(function (m) {
        m.eachLayer(function (lyr) { if (lyr.feature) n += 1; });
      });
      return n;
    }
  };

  window.YK = YK;
})();
