// The 3D viewers of a page: loads <model-viewer> (a megabyte) only when a model comes near
// the screen, or when asked (on a phone saving data, and at audio-guide stops); tells it where our decoders are (it would
// fetch them from a CDN); says what the viewer is doing; wires the hotspots and guided views.
(function () {
  "use strict";
  var self_ = document.currentScript;
  window.ModelViewerElement = window.ModelViewerElement || {};
  window.ModelViewerElement.dracoDecoderLocation = self_.dataset.draco;
  window.ModelViewerElement.ktx2TranscoderLocation = self_.dataset.ktx2;

  var requested = false;
  function loadViewer() {
    if (requested) return;
    requested = true;
    var script = document.createElement("script");
    script.type = "module";
    script.src = self_.dataset.viewer;
    document.head.appendChild(script);
  }

  var savingData = !!(navigator.connection && navigator.connection.saveData);
  var nearScreen = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        nearScreen.disconnect();
        loadViewer();
      }
    });
  }, {rootMargin: "400px 0px"}) : null;

  function hasWebGL() {
    try {
      var canvas = document.createElement("canvas");
      return !!(canvas.getContext("webgl2") || canvas.getContext("webgl"));
    } catch (e) {
      return false;
    }
  }

  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // The camera glides to its new goal, or jumps there for those who asked for less motion.
  function settle(model) {
    if (reducedMotion.matches) model.jumpCameraToGoal();
  }

  function say(status, key) {
    var text = status.dataset[key];
    if (text && status.textContent !== text) status.textContent = text;
  }

  function showNote(viewer, button) {
    var open = button.getAttribute("aria-expanded") !== "true";
    viewer.querySelectorAll(".h3d-hotspot").forEach(function (other) {
      other.setAttribute("aria-expanded", "false");
    });
    var notes = document.querySelectorAll(".h3d-notes li.is-active");
    notes.forEach(function (li) { li.classList.remove("is-active"); });
    if (!open) return;
    button.setAttribute("aria-expanded", "true");
    var note = document.getElementById(button.dataset.note);
    if (note) note.classList.add("is-active");
    // Turn the model so that the detail faces the visitor.
    var model = viewer.querySelector("model-viewer");
    model.cameraTarget = button.dataset.position;
    settle(model);
  }

  function guidedViews(model) {
    var list = document.querySelector('.h3d-views[data-model="' + model.id + '"]');
    if (!list) return;
    // Each caption becomes a button: without the viewer they stay plain text.
    list.querySelectorAll("li[data-orbit]").forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button--secondary h3d-view";
      button.setAttribute("aria-pressed", "false");
      button.textContent = item.textContent;
      button.addEventListener("click", function () {
        list.querySelectorAll(".h3d-view").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
        button.setAttribute("aria-pressed", "true");
        model.cameraOrbit = item.dataset.orbit;
        model.cameraTarget = item.dataset.target;
        settle(model);
      });
      item.textContent = "";
      item.appendChild(button);
    });
  }

  function setUp(viewer) {
    var model = viewer.querySelector("model-viewer");
    var status = viewer.querySelector(".h3d-status");
    if (!hasWebGL()) {
      say(status, "failed");
      return;
    }
    if (savingData || viewer.hasAttribute("data-on-request")) {
      var offer = viewer.querySelector(".h3d-load");
      offer.hidden = false;
      status.textContent = "";  // the offer says it all; "needs JavaScript" no longer applies
      offer.querySelector("button").addEventListener("click", function () {
        offer.hidden = true;
        say(status, "loading");
        loadViewer();
      });
    } else {
      say(status, "loading");
      if (nearScreen) nearScreen.observe(model); else loadViewer();
    }
    model.addEventListener("load", function () { say(status, "ready"); });
    model.addEventListener("error", function () { say(status, "failed"); });
    viewer.querySelectorAll(".h3d-hotspot[data-note]").forEach(function (button) {
      button.addEventListener("click", function () { showNote(viewer, button); });
    });
    customElements.whenDefined("model-viewer").then(function () { guidedViews(model); });
  }

  document.querySelectorAll("[data-h3d-viewer]").forEach(setUp);
})();
