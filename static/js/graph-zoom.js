/* Zoom and pan for the vendor page's ownership graph. The drawing is server-made SVG; this
   only changes its viewBox. Buttons, the wheel, dragging and the keyboard (+, −, 0, arrows)
   all do the same. Without this file the drawing scrolls at its own size. */
(function () {
  "use strict";

  var STEP = 1.25;
  var MAX_SCALE = 4;
  var PAN_PX = 60;
  var DRAG_SLOP = 4;

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  function setup(root) {
    var viewport = root.querySelector(".graph-scroll");
    var svg = viewport && viewport.querySelector("svg.ownership-graph");
    var tools = root.querySelector(".graph-tools");
    if (!svg || !tools) return;
    var width = parseFloat(svg.getAttribute("data-width"));
    var height = parseFloat(svg.getAttribute("data-height"));
    var level = root.querySelector("[data-zoom-level]");
    var view = { scale: 1, cx: width / 2, cy: height / 2, vw: 0, vh: 0 };

    root.classList.add("is-zoomable");
    tools.hidden = false;
    viewport.tabIndex = 0;
    viewport.setAttribute("aria-roledescription", "zoomable drawing");
    var help = tools.querySelector(".graph-zoom-help");
    if (help) {
      help.id = "graph-zoom-help";
      viewport.setAttribute("aria-describedby", "graph-zoom-help");
    }

    function fitScale() {
      return Math.min(view.vw / width, view.vh / height, 1);
    }

    function measure() {
      view.vw = Math.max(viewport.clientWidth, 200);
      // At actual size the box is as tall as the drawing, up to most of the window.
      view.vh = Math.round(clamp(height, 240, Math.max(window.innerHeight * 0.7, 240)));
      svg.setAttribute("width", String(view.vw));
      svg.setAttribute("height", String(view.vh));
    }

    function draw() {
      var w = view.vw / view.scale;
      var h = view.vh / view.scale;
      // Keep some of the drawing in sight: its centre never leaves the drawing.
      view.cx = clamp(view.cx, Math.min(w / 2, width / 2), Math.max(width - w / 2, width / 2));
      view.cy = clamp(view.cy, Math.min(h / 2, height / 2), Math.max(height - h / 2, height / 2));
      svg.setAttribute(
        "viewBox",
        [view.cx - w / 2, view.cy - h / 2, w, h]
          .map(function (n) {
            return n.toFixed(1);
          })
          .join(" ")
      );
      svg.setAttribute("data-scale", view.scale.toFixed(3));
      if (level) level.textContent = Math.round(view.scale * 100) + "%";
    }

    function zoom(factor, px, py) {
      var before = view.scale;
      var after = clamp(before * factor, Math.min(fitScale(), 1), MAX_SCALE);
      if (px === undefined) {
        px = view.vw / 2;
        py = view.vh / 2;
      }
      // The point of the drawing under (px, py) stays where it is.
      var x = view.cx + (px - view.vw / 2) / before;
      var y = view.cy + (py - view.vh / 2) / before;
      view.scale = after;
      view.cx = x - (px - view.vw / 2) / after;
      view.cy = y - (py - view.vh / 2) / after;
      draw();
    }

    function pan(dx, dy) {
      view.cx += dx / view.scale;
      view.cy += dy / view.scale;
      draw();
    }

    function actualSize() {
      view.scale = 1;
      view.cx = width / 2;
      // A drawing taller than the box opens on its bottom: the vendor and its owners.
      view.cy = height > view.vh ? height - view.vh / 2 : height / 2;
      draw();
    }

    function fit() {
      view.scale = fitScale();
      view.cx = width / 2;
      view.cy = height / 2;
      draw();
    }

    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) return;
      var action = button.getAttribute("data-zoom");
      if (action === "in") zoom(STEP);
      else if (action === "out") zoom(1 / STEP);
      else if (action === "reset") actualSize();
      else if (action === "fit") fit();
    });

    viewport.addEventListener(
      "wheel",
      function (event) {
        event.preventDefault();
        var box = viewport.getBoundingClientRect();
        zoom(event.deltaY < 0 ? STEP : 1 / STEP, event.clientX - box.left, event.clientY - box.top);
      },
      { passive: false }
    );

    var drag = null;
    var dragged = false;
    var pointing = false;
    viewport.addEventListener("pointerdown", function (event) {
      pointing = true;
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, id: event.pointerId };
      dragged = false;
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < DRAG_SLOP) return;
      if (!dragged) {
        dragged = true;
        viewport.setPointerCapture(event.pointerId);
        viewport.classList.add("is-dragging");
      }
      drag.x = event.clientX;
      drag.y = event.clientY;
      pan(-dx, -dy);
    });
    function endDrag(event) {
      pointing = false;
      if (!drag || event.pointerId !== drag.id) return;
      drag = null;
      viewport.classList.remove("is-dragging");
    }
    viewport.addEventListener("pointerup", endDrag);
    viewport.addEventListener("pointercancel", endDrag);
    // A drag that ends on an entity does not follow its link.
    viewport.addEventListener(
      "click",
      function (event) {
        if (dragged) {
          event.preventDefault();
          event.stopPropagation();
          dragged = false;
        }
      },
      true
    );

    viewport.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var handled = true;
      switch (event.key) {
        case "+":
        case "=":
          zoom(STEP);
          break;
        case "-":
        case "_":
          zoom(1 / STEP);
          break;
        case "0":
          actualSize();
          break;
        case "ArrowLeft":
          pan(-PAN_PX, 0);
          break;
        case "ArrowRight":
          pan(PAN_PX, 0);
          break;
        case "ArrowUp":
          pan(0, -PAN_PX);
          break;
        case "ArrowDown":
          pan(0, PAN_PX);
          break;
        default:
          handled = false;
      }
      if (handled) event.preventDefault();
    });

    // An entity reached with Tab is brought into view (one pressed with the pointer stays put).
    viewport.addEventListener("focusin", function (event) {
      if (pointing) return;
      var node = event.target.closest && event.target.closest("a.node");
      if (!node || !node.getBBox) return;
      var box = node.getBBox();
      var w = view.vw / view.scale;
      var h = view.vh / view.scale;
      var left = view.cx - w / 2;
      var top = view.cy - h / 2;
      if (box.x < left || box.y < top || box.x + box.width > left + w || box.y + box.height > top + h) {
        view.cx = box.x + box.width / 2;
        view.cy = box.y + box.height / 2;
        draw();
      }
    });

    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () {
        measure();
        draw();
      }, 100);
    });

    measure();
    actualSize();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-graph-zoom]"), setup);
  });
})();
