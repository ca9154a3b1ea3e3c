// Injected before any page script (Playwright init script). Records, in
// window.__benchAllSettled, the moment (ms since navigation start) when at
// least window.__benchExpectedWidgets distinct widgets are visible and every
// visible [data-widget] root has settled: ready, stale or error. Hidden roots
// (a placeholder a streamed page hides, a template) do not count.
(() => {
  const settled = new Set(["ready", "stale", "error"]);

  function check() {
    if (window.__benchAllSettled) {
      return;
    }
    const states = {};
    for (const root of document.querySelectorAll("[data-widget]")) {
      const isVisible = root.checkVisibility ? root.checkVisibility() : root.offsetParent !== null;
      if (!isVisible) {
        continue;
      }
      if (!settled.has(root.dataset.state)) {
        return;
      }
      states[root.dataset.widget] = root.dataset.state;
    }
    if (Object.keys(states).length >= window.__benchExpectedWidgets) {
      window.__benchAllSettled = { ms: performance.now(), states };
      observer.disconnect();
    }
  }

  const observer = new MutationObserver(check);
  observer.observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-state", "class", "style", "hidden"],
  });
  document.addEventListener("DOMContentLoaded", check);
  window.addEventListener("load", check);
})();
