// Deploy page: choosing another model reloads the page for it (its own estimates and history); choosing
// a board highlights its row in the estimates table and leaves only the bundle kinds it is offered.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.id === "model-select") {
    const board = document.getElementById("board-select").value;
    window.location.search = new URLSearchParams({ model: target.value, board }).toString();
  } else if (target.id === "board-select") {
    document.querySelectorAll("#estimates-table tr[data-board]").forEach((row) => {
      row.classList.toggle("selected", row.dataset.board === target.value);
    });
    const offered = target.selectedOptions[0].dataset.kinds.split(" ");
    const kind = document.getElementById("kind-select");
    for (const option of kind.options) {
      option.disabled = option.value !== "" && !offered.includes(option.value);
    }
    if (kind.selectedOptions[0].disabled) kind.value = "";
  }
});
// The estimates table is re-rendered while it is measured: keep the chosen board's row highlighted.
document.addEventListener("htmx:afterSettle", () => {
  const board = document.getElementById("board-select");
  if (!board) return;
  document.querySelectorAll("#estimates-table tr[data-board]").forEach((row) => {
    row.classList.toggle("selected", row.dataset.board === board.value);
  });
});
