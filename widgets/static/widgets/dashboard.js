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
