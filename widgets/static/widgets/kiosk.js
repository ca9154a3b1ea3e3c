// Kiosk rotation: after data-kiosk-every seconds, open data-kiosk-next (the next dashboard of the
// rotation, with the same query; the server works both out). If the next page cannot be reached
// (the server is restarting, the network is down), stay here, where the widgets keep refreshing,
// and try again after the same interval: a wall screen never ends on a browser error page.
(function () {
  "use strict";
  var body = document.body;
  var next = body.getAttribute("data-kiosk-next");
  var seconds = Number(body.getAttribute("data-kiosk-every"));
  if (!next || !(seconds > 0)) {
    return;
  }

  function moveOn() {
    fetch(next, { method: "HEAD", credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status >= 500) {
          throw new Error("HTTP " + response.status);
        }
        location.assign(next);
      })
      .catch(function () {
        setTimeout(moveOn, seconds * 1000);
      });
  }

  setTimeout(moveOn, seconds * 1000);
})();
