/* Community map: Leaflet on #copro-map, configured by its data-* attributes (no inline script).
 * Without JavaScript the map stays hidden and the page is the accessible list of pins.
 * On the map page it loads the pins in view (server-side clustered GeoJSON) after every move.
 * On the pin form (data-pick) a click chooses the spot: it fills the hidden lat/lng inputs. */
(function () {
  "use strict";
  var el = document.getElementById("copro-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var section = el.closest("[data-map-section]");
  if (section) { section.hidden = false; }

  var south = parseFloat(d.south), west = parseFloat(d.west), north = parseFloat(d.north), east = parseFloat(d.east);
  var area = L.latLngBounds([south, west], [north, east]);
  var map = L.map(el, { maxBounds: area.pad(0.5), maxBoundsViscosity: 0.8 })
    .setView([parseFloat(d.lat), parseFloat(d.lng)], parseInt(d.zoom, 10));
  L.tileLayer(d.tiles, { attribution: d.attribution, maxZoom: 19 }).addTo(map);

  if (d.pick) {
    setUpPicking();
  } else if (d.dataUrl) {
    setUpPins();
  }

  function setUpPicking() {
    var lat = document.getElementById("id_lat"), lng = document.getElementById("id_lng");
    var said = document.getElementById("map-choice");
    if (!lat || !lng) { return; }
    var marker = null;
    function choose(latlng) {
      if (!area.contains(latlng)) { return; }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
      if (said) {
        said.textContent = (d.labelChosen || "").replace("%(lat)s", lat.value).replace("%(lng)s", lng.value);
      }
    }
    if (lat.value && lng.value) { choose(L.latLng(parseFloat(lat.value), parseFloat(lng.value))); }
    map.on("click", function (e) { choose(e.latlng); });
  }

  function setUpPins() {
    var names = {};
    var namesEl = document.getElementById("map-categories");
    if (namesEl) { try { names = JSON.parse(namesEl.textContent); } catch (err) { names = {}; } }
    var layer = L.layerGroup().addTo(map);
    var pending = null;

    function pinUrl(id) { return d.pinUrl.replace(/\/0\/$/, "/" + id + "/"); }

    function popupFor(props) {
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = names[String(props.category)] || "";
      box.appendChild(title);
      var line = document.createElement("p");
      line.textContent = props.agrees + " " + (d.labelAgrees || "");
      box.appendChild(line);
      var link = document.createElement("a");
      link.className = "map-popup-link";
      link.href = pinUrl(props.id);
      link.textContent = d.labelPin || "";
      box.appendChild(link);
      return box;
    }

    function draw(data) {
      layer.clearLayers();
      (data.features || []).forEach(function (f) {
        var c = f.geometry.coordinates, at = L.latLng(c[1], c[0]), p = f.properties;
        if (p.kind === "cluster") {
          var size = p.count < 10 ? 30 : p.count < 100 ? 38 : p.count < 1000 ? 46 : 54;
          var label = document.createElement("span");
          label.textContent = String(p.count);
          var icon = L.divIcon({
            html: label,
            className: "map-cluster" + (p.count >= 1000 ? " map-cluster--l" : p.count >= 100 ? " map-cluster--m" : ""),
            iconSize: [size, size]
          });
          var m = L.marker(at, { icon: icon, title: p.count + " " + (d.labelCluster || ""), keyboard: false });
          m.on("click", function () { map.setView(at, Math.min(map.getZoom() + 2, 19)); });
          layer.addLayer(m);
        } else {
          var dot = L.circleMarker(at, { radius: 8, color: "#ffffff", weight: 2, fillColor: "#b00020", fillOpacity: 1 });
          dot.bindPopup(function () { return popupFor(p); });
          layer.addLayer(dot);
        }
      });
    }

    function load() {
      var b = map.getBounds();
      var params = new URLSearchParams({
        bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(","),
        zoom: String(map.getZoom())
      });
      if (d.category) { params.set("category", d.category); }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(d.dataUrl + "?" + params.toString(), { credentials: "same-origin", signal: pending.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { draw(data); } })
        .catch(function () { /* a superseded or failed load: the list below still has every pin */ });
    }

    map.on("moveend", load);
    load();
  }
})();
