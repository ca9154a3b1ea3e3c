// Once a streamed dashboard page is parsed (the stream has ended), remove each placeholder
// whose widget has arrived: CSS hid it already, and no data-state="loading" is left behind.
document.addEventListener("DOMContentLoaded", () => {
  for (const placeholder of document.querySelectorAll(".tile--placeholder")) {
    const slot = [...placeholder.classList].find((name) => name.startsWith("slot-"));
    const grid = placeholder.parentElement;
    if (slot && grid && grid.querySelector(`:scope > .tile--arrived-${slot.slice(5)}`)) {
      placeholder.remove();
    }
  }
});

// The printed page's header says "Data as of" the oldest values on the page (each widget's
// <time datetime>), kept current as widgets refresh. Until a widget with a time has arrived, the
// server's value stands: when the page was served.
function showDataTime() {
  const target = document.querySelector("[data-data-as-of]");
  const times = [...document.querySelectorAll("[data-widget] .widget__updated[datetime]")]
    .map((time) => Date.parse(time.dateTime))
    .filter((milliseconds) => !Number.isNaN(milliseconds));
  if (!target || times.length === 0) {
    return;
  }
  const oldest = new Date(Math.min(...times)).toISOString();
  target.dateTime = oldest;
  target.textContent = `${oldest.slice(0, 10)} ${oldest.slice(11, 19)} UTC`;
}
document.addEventListener("DOMContentLoaded", showDataTime);
document.addEventListener("htmx:afterSettle", showDataTime);
window.addEventListener("beforeprint", showDataTime);
