// Once a streamed dashboard page is parsed (the stream has ended), remove each placeholder
// whose widget has arrived: CSS hid it already, and no data-state="loading" is left behind.
// Then put the tiles in layout order: they arrived in the order their widgets finished loading,
// and CSS `order` shows each in its slot, but Tab and screen readers follow the document's order.
function slotNumber(tile) {
  const slot = [...tile.classList].find((name) => /^slot-\d+$/.test(name));
  return slot ? Number(slot.slice(5)) : Infinity;
}

function putTilesInLayoutOrder(grid) {
  const tiles = [...grid.children];
  const inOrder = [...tiles].sort((a, b) => slotNumber(a) - slotNumber(b));
  if (inOrder.some((tile, index) => tile !== tiles[index])) {
    grid.append(...inOrder);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const placeholder of document.querySelectorAll(".tile--placeholder")) {
    const slot = [...placeholder.classList].find((name) => name.startsWith("slot-"));
    const grid = placeholder.parentElement;
    if (slot && grid && grid.querySelector(`:scope > .tile--arrived-${slot.slice(5)}`)) {
      placeholder.remove();
    }
  }
  for (const grid of document.querySelectorAll(".dashboard > .grid")) {
    putTilesInLayoutOrder(grid);
  }
});

// The printed page's header says "Data as of" the oldest values on the page (each widget's
// <time datetime>), kept current as widgets refresh. Until a widget with a time has arrived, the
// server's value stands: when the page was served. The text is the server's (data-time-text): in the
// page's time zone, with its abbreviation.
function showDataTime() {
  const target = document.querySelector("[data-data-as-of]");
  const times = [...document.querySelectorAll("[data-widget] .widget__updated[datetime][data-time-text]")]
    .map((time) => ({ milliseconds: Date.parse(time.dateTime), time }))
    .filter(({ milliseconds }) => !Number.isNaN(milliseconds));
  if (!target || times.length === 0) {
    return;
  }
  const oldest = times.reduce((first, other) => (other.milliseconds < first.milliseconds ? other : first));
  target.dateTime = new Date(oldest.milliseconds).toISOString();
  target.textContent = oldest.time.dataset.timeText;
}
document.addEventListener("DOMContentLoaded", showDataTime);
document.addEventListener("htmx:afterSettle", showDataTime);
window.addEventListener("beforeprint", showDataTime);
