// A labelled matrix heatmap on a canvas (attention maps): rows and columns are tokens, hover for values.
import { inkOn, rgb, viridis } from './colormap.js';

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * Draws matrix[row][col] (values ≥ 0; colour scaled to the largest) with row and column labels. The canvas keeps
 * data-rows / data-cols; onHover(row, col) hears the cell under the pointer or picked with arrow keys.
 */
export function drawHeatmap(canvas, matrix, { rowLabels, colLabels, maxCell = 28, minCell = 10, width, onHover }) {
  const rows = matrix.length;
  const cols = matrix[0]?.length ?? 0;
  const ctx = canvas.getContext('2d');
  ctx.font = FONT;
  const rowMargin = Math.ceil(Math.max(0, ...rowLabels.map((t) => ctx.measureText(t).width))) + 10;
  const colMargin = Math.ceil(Math.max(0, ...colLabels.map((t) => ctx.measureText(t).width))) + 10;
  const fit = Math.floor(((width ?? 600) - rowMargin - 4) / Math.max(1, cols));
  const cell = Math.max(minCell, Math.min(maxCell, fit));
  const cssWidth = rowMargin + cols * cell + 4;
  const cssHeight = colMargin + rows * cell + 4;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(cssWidth * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.dataset.rows = String(rows);
  canvas.dataset.cols = String(cols);

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.font = FONT;
  ctx.fillStyle = getComputedStyle(canvas).color;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  rowLabels.forEach((t, r) => ctx.fillText(t, rowMargin - 6, colMargin + r * cell + cell / 2));
  ctx.save();
  ctx.translate(rowMargin, colMargin - 6);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'left';
  colLabels.forEach((t, c) => ctx.fillText(t, 0, c * cell + cell / 2));
  ctx.restore();

  const top = Math.max(1e-9, ...matrix.map((row) => Math.max(...row)));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const colour = viridis(matrix[r][c] / top);
      ctx.fillStyle = rgb(colour);
      ctx.fillRect(rowMargin + c * cell, colMargin + r * cell, cell, cell);
      if (cell >= 26) {
        ctx.fillStyle = inkOn(colour);
        ctx.textAlign = 'center';
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(matrix[r][c].toFixed(2).replace(/^0/, ''), rowMargin + c * cell + cell / 2, colMargin + r * cell + cell / 2);
      }
    }
  }

  // Pointer or arrow keys pick a cell; its value goes to onHover (a text readout next to the canvas).
  let at = [0, 0];
  const pick = (r, c) => {
    if (r < 0 || r >= rows || c < 0 || c >= cols) return;
    at = [r, c];
    onHover?.(r, c);
  };
  canvas.onpointermove = (event) => {
    const box = canvas.getBoundingClientRect();
    pick(Math.floor((event.clientY - box.top - colMargin) / cell), Math.floor((event.clientX - box.left - rowMargin) / cell));
  };
  canvas.onkeydown = (event) => {
    const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
    if (!move) return;
    event.preventDefault();
    pick(at[0] + move[0], at[1] + move[1]);
  };
}
