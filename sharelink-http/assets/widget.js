// sharelink widget: <div data-sharelink="https://host/share/s/KEY"></div> becomes a
// framed listing of that share (the share's gates still apply).
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src).origin : null;
  document.querySelectorAll("[data-sharelink]").forEach(function (el) {
    var link;
    try { link = new URL(el.getAttribute("data-sharelink"), document.baseURI); } catch (_) { return; }
    if (origin && link.origin !== origin) return; // only links of the server that serves this script
    var frame = document.createElement("iframe");
    frame.src = link.origin + link.pathname.replace(/\/$/, "") + "/embed";
    frame.title = "Shared files";
    frame.loading = "lazy";
    frame.referrerPolicy = "no-referrer";
    frame.style.width = "100%";
    frame.style.minHeight = el.getAttribute("data-height") || "320px";
    frame.style.border = "1px solid #ddd";
    el.appendChild(frame);
  });
})();
