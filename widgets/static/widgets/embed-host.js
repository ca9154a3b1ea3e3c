// Include on a page that shows embed iframes:
//   <iframe src="https://dash.example/embed/<token>/" data-widgets-embed title="Revenue"></iframe>
//   <script src="https://dash.example/static/widgets/embed-host.js" async></script>
// Each embed page posts its height ({type: "widgets:embed-height", height, embed}); this sets the
// height of the iframe it came from. A message counts only if its source is the contentWindow of an
// iframe[data-widgets-embed] and its origin is that iframe's origin.
(function () {
  "use strict";
  if (window.widgetsEmbedHost) {
    return;
  }
  window.widgetsEmbedHost = true;
  var SELECTOR = "iframe[data-widgets-embed]";

  function originOf(frame) {
    try {
      return new URL(frame.src, document.baseURI).origin;
    } catch (error) {
      return null;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "widgets:embed-height") {
      return;
    }
    var height = Number(data.height);
    if (!isFinite(height) || height < 0) {
      return;
    }
    var frames = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow === event.source) {
        if (originOf(frame) === event.origin) {
          frame.style.height = Math.ceil(height) + "px";
        }
        return;
      }
    }
  });

  // Frames that loaded before this script ran have posted their height already: ask again. The
  // ping carries nothing, so "*" is fine, and a frame still loading (about:blank) just ignores it.
  function pingAll() {
    var frames = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow) {
        frames[i].contentWindow.postMessage({ type: "widgets:embed-ping" }, "*");
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", pingAll);
  } else {
    pingAll();
  }
})();
