// The language and time zone menu in the top bar. A choice is kept in a cookie the server reads
// (Django's language cookie; widgets_tz, an IANA time zone name), then the page reloads in it.
// Listeners, not inline handlers: CSP script-src 'self'.
(function () {
  "use strict";
  var YEAR_SECONDS = 365 * 24 * 60 * 60;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].split("=");
      if (pair[0] === name) {
        return decodeURIComponent(pair.slice(1).join("="));
      }
    }
    return "";
  }

  function remember(name, value) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    var lifetime = value ? "; max-age=" + YEAR_SECONDS : "; max-age=0";
    // The server reads the value as it is, undecoded: "/" of a time zone name (Europe/Berlin) stays one.
    var written = encodeURIComponent(value).replace(/%2F/g, "/");
    document.cookie = name + "=" + written + "; path=/; samesite=lax" + lifetime + secure;
  }

  function viewerZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function start(menu) {
    var languageCookie = menu.getAttribute("data-language-cookie");
    var zoneCookie = menu.getAttribute("data-time-zone-cookie");
    var language = menu.querySelector("[data-locale-language]");
    var zone = menu.querySelector("[data-locale-time-zone]");
    var own = viewerZone();
    var ownOption = menu.querySelector("[data-locale-viewer-zone]");
    if (own) {
      ownOption.textContent = ownOption.textContent + " (" + own + ")";
    } else {
      ownOption.disabled = true;
    }
    language.value = document.documentElement.getAttribute("lang") || language.value;
    zone.value = readCookie(zoneCookie) ? "viewer" : "";
    language.addEventListener("change", function () {
      remember(languageCookie, language.value);
      location.reload();
    });
    zone.addEventListener("change", function () {
      remember(zoneCookie, zone.value === "viewer" ? own : "");
      location.reload();
    });
    menu.hidden = false;
  }

  function startAll() {
    var menus = document.querySelectorAll("[data-locale-menu]");
    for (var i = 0; i < menus.length; i++) {
      start(menus[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
