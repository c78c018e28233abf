// The little the pages need beyond htmx: the print button and the report frame's height.
(function () {
  "use strict";
  function fit(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) { frame.style.height = (doc.documentElement.scrollHeight + 20) + "px"; }
    } catch (e) { /* a frame of another origin keeps its CSS height */ }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("iframe.report").forEach(function (frame) {
      frame.addEventListener("load", function () { fit(frame); });
      fit(frame);
    });
    document.querySelectorAll("[data-print-frame]").forEach(function (button) {
      button.addEventListener("click", function () {
        var frame = document.getElementById(button.getAttribute("data-print-frame"));
        if (frame && frame.contentWindow) { frame.contentWindow.focus(); frame.contentWindow.print(); }
      });
    });
  });
})();
