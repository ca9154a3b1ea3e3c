// Script embed, for a page on another site:
//   <script src="https://dash.example/static/widgets/embed.js" data-embed="https://dash.example/embed/<token>/" async></script>
// Inserts a container after the script with an open shadow root holding the widget's CSS (theme.css
// and widgets.css, next to this script) and the widget's fragment, fetched from the embed URL with
// ?fragment=1 (a simple CORS GET: the dashboard must list this page's origin in
// EMBED_ALLOWED_ORIGINS). The fragment is HTML the server escaped; scripts in markup set with
// innerHTML never run. It refreshes every data-refresh-seconds of the fragment's root; a fragment
// without it (an expired link, say) stays.
(function () {
  "use strict";

  function start(script) {
    if (script.hasAttribute("data-embed-started") || !script.getAttribute("data-embed")) {
      return;
    }
    script.setAttribute("data-embed-started", "");
    var embedUrl = new URL(script.getAttribute("data-embed"), document.baseURI);
    var fragmentUrl = new URL(embedUrl.href);
    fragmentUrl.search = "?fragment=1";
    fragmentUrl.hash = "";

    var container = document.createElement("div");
    container.setAttribute("data-widgets-embed", embedUrl.href);
    script.parentNode.insertBefore(container, script.nextSibling);
    var shadow = container.attachShadow({ mode: "open" });
    // The theme's tokens (light: the host page's colours are not known) first, then the widgets' CSS.
    ["theme.css", "widgets.css"].forEach(function (name) {
      var stylesheet = document.createElement("link");
      stylesheet.rel = "stylesheet";
      stylesheet.href = new URL(name, script.src).href;
      shadow.appendChild(stylesheet);
    });
    var body = document.createElement("div");
    body.className = "widget-embed";
    shadow.appendChild(body);

    var refreshSeconds = 0;

    function showError(text) {
      var note = body.querySelector(".widget-embed__error");
      if (!note) {
        note = document.createElement("p");
        note.className = "widget-embed__error";
        note.setAttribute("role", "alert");
        body.appendChild(note);
      }
      note.textContent = text;
    }

    function load() {
      fetch(fragmentUrl.href, { credentials: "omit", headers: { Accept: "text/html" } })
        .then(function (response) {
          return response.text().then(function (html) {
            // 4xx fragments are messages meant for the viewer (expired, invalid); 5xx are not.
            if (!response.ok && !(response.status >= 400 && response.status < 500 && html)) {
              throw new Error("HTTP " + response.status);
            }
            body.innerHTML = html;
            var root = body.querySelector("[data-refresh-seconds]");
            refreshSeconds = root ? Number(root.getAttribute("data-refresh-seconds")) || 0 : 0;
          });
        })
        .catch(function () {
          showError(
            refreshSeconds > 0
              ? "Could not refresh this widget; trying again in " + refreshSeconds + " s."
              : "This widget could not be loaded."
          );
        })
        .then(function () {
          if (refreshSeconds > 0) {
            setTimeout(load, refreshSeconds * 1000);
          }
        });
    }

    load();
  }

  var current = document.currentScript;
  if (current) {
    start(current);
  } else {
    var scripts = document.querySelectorAll("script[data-embed]");
    for (var i = 0; i < scripts.length; i++) {
      start(scripts[i]);
    }
  }
})();
