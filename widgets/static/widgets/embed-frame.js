// Runs inside an embed page (/embed/<token>/) shown in an iframe: tells the host page how tall the
// widget is, so embed-host.js can size the iframe to fit. Posted to any parent ("*"): the message
// holds nothing secret, and the host checks where it came from.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var MESSAGE_TYPE = "widgets:embed-height";
  var lastHeight = -1;

  function postHeight(force) {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight && force !== true) {
      return;
    }
    lastHeight = height;
    window.parent.postMessage({ type: MESSAGE_TYPE, height: height, embed: location.href }, "*");
  }

  function postNow() {
    postHeight(true);
  }

  postNow();
  window.addEventListener("load", postNow);
  document.addEventListener("htmx:afterSwap", postHeight);
  document.addEventListener("htmx:afterSettle", postHeight);
  if ("ResizeObserver" in window) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  } else {
    window.addEventListener("resize", postHeight);
  }
  // A host script that started after this page loaded asks for the height.
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data && event.data.type === "widgets:embed-ping") {
      postNow();
    }
  });
})();
