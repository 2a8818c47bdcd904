// The 3D console's conveniences, on pages that work without them: a click on the model fills
// in the new hotspot's position and direction (model-viewer's positionAndNormalFromPoint), and
// "Use the current camera" copies the viewer's camera into a guided view's fields.
// Runs deferred, after viewer.js has told model-viewer where its decoders are.
(function () {
  "use strict";
  var DRAG_PIXELS = 6; // a press that moved further was a turn of the model, not a click
  var MARKER = "hotspot-h3c-new";

  function fixed(value, digits) {
    var text = value.toFixed(digits);
    return text === "-0." + "0".repeat(digits) ? text.slice(1) : text; // no "-0.0000"
  }

  function say(box, key) {
    var said = box.querySelector("[data-h3c-said]");
    if (said) said.textContent = box.dataset[key] || "";
  }

  function fill(form, name, value) {
    var input = form.querySelector('[name="' + name + '"]');
    if (!input) return;
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function showMarker(model, position, normal) {
    var place = { name: MARKER, position: position, normal: normal };
    if (model.querySelector('[slot="' + MARKER + '"]')) {
      model.updateHotspot(place);
      return;
    }
    var marker = document.createElement("div");
    marker.className = "h3c-marker";
    marker.setAttribute("slot", MARKER);
    marker.setAttribute("aria-hidden", "true");
    marker.dataset.position = position;
    marker.dataset.normal = normal;
    model.appendChild(marker);
  }

  function placeOnClick(box, model, fields) {
    var start = null;
    model.addEventListener("pointerdown", function (event) {
      start = { x: event.clientX, y: event.clientY };
    });
    model.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest(".h3d-hotspot, .h3d-ar")) return;
      if (start && Math.hypot(event.clientX - start.x, event.clientY - start.y) > DRAG_PIXELS) return;
      if (!model.loaded) return;
      var hit = model.positionAndNormalFromPoint(event.clientX, event.clientY);
      if (hit == null) {
        say(box, "missed");
        return;
      }
      var p = hit.position, n = hit.normal;
      var length = Math.hypot(n.x, n.y, n.z) || 1;
      var values = {
        x: fixed(p.x, 4), y: fixed(p.y, 4), z: fixed(p.z, 4),
        normal_x: fixed(n.x / length, 4), normal_y: fixed(n.y / length, 4), normal_z: fixed(n.z / length, 4)
      };
      Object.keys(values).forEach(function (name) { fill(fields, name, values[name]); });
      showMarker(model, values.x + "m " + values.y + "m " + values.z + "m",
                 values.normal_x + "m " + values.normal_y + "m " + values.normal_z + "m");
      say(box, "placed");
    });
  }

  function takeCamera(box, model, fields) {
    var button = fields.querySelector("[data-h3c-take-camera]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var orbit = model.getCameraOrbit();
      var target = model.getCameraTarget();
      var degrees = 180 / Math.PI;
      fill(fields, "orbit", fixed(orbit.theta * degrees, 1) + "deg " + fixed(orbit.phi * degrees, 1) + "deg " +
           fixed(orbit.radius, 3) + "m");
      fill(fields, "target", fixed(target.x, 3) + "m " + fixed(target.y, 3) + "m " + fixed(target.z, 3) + "m");
      say(box, "cameraTaken");
    });
  }

  document.querySelectorAll("[data-h3c-viewer]").forEach(function (box) {
    var model = document.getElementById(box.dataset.model);
    if (!model) return;
    customElements.whenDefined("model-viewer").then(function () {
      document.querySelectorAll("[data-h3c-place]").forEach(function (fields) { placeOnClick(box, model, fields); });
      document.querySelectorAll("[data-h3c-camera]").forEach(function (fields) { takeCamera(box, model, fields); });
    });
  });
})();
