// sequex market page: the depth ladder, the tape and a candlestick chart with volume of one
// symbol, live over Server-Sent Events (/stream/{symbol}). No library: DOM tables and SVG.
//
// State comes whole in the stream's first event ("snapshot") and then as "update" events
// (the book again, the new trades, the newest two candles). Prices arrive as integers of
// price units (1/10,000) and as decimal strings; the page shows the strings and computes only
// with the integers. The query string may pick the symbol and interval: /?symbol=ACME&interval=1s
"use strict";

const DEPTH = 12;          // levels a side on the ladder
const TAPE_ROWS = 60;      // trades kept on the tape
const MAX_CANDLES = 240;   // candles kept for the chart
const SVG = "http://www.w3.org/2000/svg";

const INTERVALS = ["1s", "1m", "5m", "1h"];
const params = new URLSearchParams(location.search);
const state = {
  symbol: params.get("symbol"),
  interval: INTERVALS.includes(params.get("interval")) ? params.get("interval") : "1m",
  symbols: [],
  book: null,
  trades: [],
  candles: [],
  version: -1,
  updates: 0,
  fresh: new Set(),
  source: null,
  frame: 0,
};

const $ = (id) => document.getElementById(id);

// ---- formatting -------------------------------------------------------------------------

function decimalsOf(symbol) {
  const info = state.symbols.find((s) => s.symbol === symbol);
  if (!info) return 2;
  // the tick's decimal places: "0.0100" -> 2, "0.0050" -> 3
  const frac = info.tick_size_str.split(".")[1] || "";
  return Math.max(2, frac.replace(/0+$/, "").length);
}

function tickOf(symbol) {
  const info = state.symbols.find((s) => s.symbol === symbol);
  return info ? info.tick_size : 100;
}

function money(units, decimals) {
  // integer price units -> a decimal string, exact (integer arithmetic only)
  const sign = units < 0 ? "-" : "";
  const abs = Math.abs(units);
  const whole = Math.floor(abs / 10000);
  const frac = String(abs % 10000).padStart(4, "0").slice(0, decimals);
  return decimals > 0 ? `${sign}${whole}.${frac}` : `${sign}${whole}`;
}

function qty(n) { return n.toLocaleString("en-US"); }

function clock(iso, withDate) {
  // "2026-12-07T14:30:00.411Z" -> "14:30:00.411" (UTC, as the server stamps it)
  return withDate ? iso.slice(5, 16).replace("T", " ") : iso.slice(11, 23);
}

// ---- the stream -------------------------------------------------------------------------

function connect() {
  if (state.source) state.source.close();
  document.body.dataset.state = "connecting";
  $("conn").textContent = "connecting";
  const url = `/stream/${encodeURIComponent(state.symbol)}?interval=${state.interval}&depth=${DEPTH}`;
  const source = new EventSource(url);
  state.source = source;
  source.addEventListener("snapshot", (e) => {
    const snap = JSON.parse(e.data);
    state.book = snap.book;
    state.trades = snap.trades.slice(0, TAPE_ROWS);
    state.candles = snap.candles.slice(-MAX_CANDLES);
    state.version = snap.version;
    state.fresh = new Set();
    live();
    schedule();
  });
  source.addEventListener("update", (e) => {
    const up = JSON.parse(e.data);
    state.book = up.book;
    state.version = up.version;
    state.updates += 1;
    const known = new Set(state.trades.map((t) => t.exec_id));
    const fresh = up.trades.filter((t) => !known.has(t.exec_id));
    state.fresh = new Set(fresh.map((t) => t.exec_id));
    state.trades = fresh.concat(state.trades).slice(0, TAPE_ROWS);
    for (const c of up.candles) mergeCandle(c);
    live();
    schedule();
  });
  source.onerror = () => {
    // EventSource reconnects by itself; the next snapshot replaces everything
    document.body.dataset.state = "reconnecting";
    $("conn").textContent = "reconnecting";
  };
}

function live() {
  document.body.dataset.state = "live";
  $("conn").textContent = "live";
}

function mergeCandle(c) {
  const list = state.candles;
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i].time === c.time) { list[i] = c; return; }
    if (list[i].time < c.time) { list.splice(i + 1, 0, c); trim(); return; }
  }
  list.unshift(c);
  trim();
}

function trim() {
  if (state.candles.length > MAX_CANDLES) state.candles.splice(0, state.candles.length - MAX_CANDLES);
}

function schedule() {
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => { state.frame = 0; render(); });
}

// ---- rendering --------------------------------------------------------------------------

function render() {
  if (!state.book) return;
  const d = decimalsOf(state.symbol);
  renderQuote(d);
  renderLadder(d);
  renderTape(d);
  renderChart(d);
  document.body.dataset.version = String(state.version);
  document.body.dataset.updates = String(state.updates);
  $("seq").textContent = `seq ${state.book.seq_no}`;
}

function renderQuote(d) {
  const last = state.book.last_trade;
  $("last").textContent = last ? money(last.price, d) : "—";
  $("halted").hidden = !state.book.halted;
  // the change over what the chart holds: since the open of its oldest candle
  const first = state.candles.length ? state.candles[0] : null;
  const change = $("change");
  if (last && first !== null) {
    const diff = last.price - first.open;
    const since = clock(first.time, false).slice(0, state.interval === "1s" ? 8 : 5);
    change.textContent = `${diff >= 0 ? "+" : "-"}${money(Math.abs(diff), d)} since ${since}`;
    change.className = "change " + (diff >= 0 ? "up" : "down");
  } else {
    change.textContent = "";
  }
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function renderLadder(d) {
  const { bids, asks } = state.book;
  const most = Math.max(1, ...bids.map((l) => l.qty), ...asks.map((l) => l.qty));
  const asksBody = $("asks");
  const bidsBody = $("bids");
  asksBody.replaceChildren();
  bidsBody.replaceChildren();
  // asks above the spread, the best (lowest) nearest to it
  for (const level of asks.slice().reverse()) {
    const row = asksBody.insertRow();
    row.className = "ask";
    row.dataset.side = "ask";
    row.dataset.price = String(level.price);
    row.dataset.qty = String(level.qty);
    cell(row, "", "muted");
    cell(row, "");
    cell(row, money(level.price, d), "price");
    const q = cell(row, qty(level.qty), "bar-ask");
    q.style.setProperty("--w", `${(100 * level.qty) / most}%`);
    cell(row, String(level.orders), "muted");
  }
  for (const level of bids) {
    const row = bidsBody.insertRow();
    row.className = "bid";
    row.dataset.side = "bid";
    row.dataset.price = String(level.price);
    row.dataset.qty = String(level.qty);
    cell(row, String(level.orders), "muted");
    const q = cell(row, qty(level.qty), "bar-bid");
    q.style.setProperty("--w", `${(100 * level.qty) / most}%`);
    cell(row, money(level.price, d), "price");
    cell(row, "");
    cell(row, "", "muted");
  }
  let mid = "empty book";
  if (bids.length && asks.length) {
    mid = `spread ${money(asks[0].price - bids[0].price, d)}`;
  } else if (bids.length || asks.length) {
    mid = bids.length ? "no offers" : "no bids";
  }
  $("midline").textContent = mid;
  $("spread").textContent = `${state.book.bid_levels} bid / ${state.book.ask_levels} ask levels`;
}

function renderTape(d) {
  const body = $("tape");
  body.replaceChildren();
  for (const t of state.trades) {
    const row = body.insertRow();
    row.dataset.exec = String(t.exec_id);
    if (state.fresh && state.fresh.has(t.exec_id)) row.className = "flash";
    cell(row, clock(t.time, false), "muted");
    cell(row, t.side, t.side);
    cell(row, money(t.price, d), t.side);
    cell(row, qty(t.qty));
  }
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function renderChart(d) {
  const svg = $("chart");
  const box = $("chart-box");
  const width = Math.max(320, box.clientWidth);
  const height = Math.max(240, box.clientHeight);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const pad = { left: 8, right: 74, top: 10, bottom: 22 };
  const plotW = width - pad.left - pad.right;
  const volH = Math.round((height - pad.top - pad.bottom) * 0.22);
  const priceH = height - pad.top - pad.bottom - volH - 8;
  const slot = Math.max(6, Math.min(18, plotW / Math.max(1, state.candles.length)));
  const shown = state.candles.slice(-Math.floor(plotW / slot));
  svg.dataset.candles = String(shown.length);
  $("chart-caption").textContent =
    `${state.interval} · ${shown.length} candle${shown.length === 1 ? "" : "s"} · UTC`;
  if (!shown.length) {
    el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, svg)
      .textContent = "no trades yet";
    return;
  }
  let lo = Infinity, hi = -Infinity, vmax = 1;
  for (const c of shown) { lo = Math.min(lo, c.low); hi = Math.max(hi, c.high); vmax = Math.max(vmax, c.volume); }
  // at least eight ticks tall, so a flat market still shows distinct price lines
  const tick = tickOf(state.symbol);
  if (hi - lo < 8 * tick) { const mid = (hi + lo) / 2; lo = mid - 4 * tick; hi = mid + 4 * tick; }
  const span = hi - lo;
  lo -= span * 0.08; hi += span * 0.08;
  const y = (p) => pad.top + ((hi - p) / (hi - lo)) * priceH;
  const volTop = pad.top + priceH + 8;
  // grid and price labels: 5 lines (no label where the last price's label goes)
  const lastY = y(state.candles[state.candles.length - 1].close);
  for (let i = 0; i <= 4; i++) {
    const p = lo + ((hi - lo) * i) / 4;
    const yy = y(p);
    el("line", { x1: pad.left, x2: pad.left + plotW, y1: yy, y2: yy, class: "grid" }, svg);
    if (Math.abs(yy - (lastY - 10)) > 14) {
      el("text", { x: pad.left + plotW + 6, y: yy + 4 }, svg).textContent =
        money(Math.round(p / tick) * tick, d);
    }
  }
  el("line", { x1: pad.left, x2: pad.left + plotW, y1: volTop + volH, y2: volTop + volH, class: "grid" }, svg);
  const body = Math.max(2, slot * 0.64);
  const x0 = pad.left + plotW - shown.length * slot;
  const group = el("g", { class: "candles" }, svg);
  shown.forEach((c, i) => {
    const cx = x0 + i * slot + slot / 2;
    const dir = c.close >= c.open ? "up" : "down";
    const g = el("g", { class: `candle ${dir}` }, group);
    g.dataset.time = c.time;
    g.dataset.close = String(c.close);
    g.dataset.volume = String(c.volume);
    const title = el("title", {}, g);
    title.textContent = `${clock(c.time, true)}  O ${c.open_str} H ${c.high_str} L ${c.low_str} C ${c.close_str}  V ${c.volume}`;
    el("line", { x1: cx, x2: cx, y1: y(c.high), y2: y(c.low), class: dir }, g);
    const top = y(Math.max(c.open, c.close));
    const h = Math.max(1, Math.abs(y(c.open) - y(c.close)));
    el("rect", { x: cx - body / 2, y: top, width: body, height: h, class: dir }, g);
    const vh = Math.max(1, (c.volume / vmax) * volH);
    el("rect", { x: cx - body / 2, y: volTop + volH - vh, width: body, height: vh, class: `vol ${dir}` }, g);
  });
  // time labels: about every 110 px
  const every = Math.max(1, Math.round(110 / slot));
  for (let i = shown.length - 1; i >= 0; i -= every) {
    const cx = x0 + i * slot + slot / 2;
    const t = shown[i].time;
    const label = state.interval === "1s" ? t.slice(11, 19) : t.slice(11, 16);
    el("text", { x: cx, y: height - 6, "text-anchor": "middle" }, svg).textContent = label;
  }
  // the last price
  const last = shown[shown.length - 1].close;
  el("line", { x1: pad.left, x2: pad.left + plotW, y1: y(last), y2: y(last), class: "lastline" }, svg);
  el("text", { x: pad.left + plotW + 6, y: y(last) - 6, class: "lastlabel" }, svg).textContent = money(last, d);
  el("text", { x: pad.left + plotW + 6, y: volTop + 10 }, svg).textContent = `vol ${qty(vmax)}`;
}

// ---- controls and health ----------------------------------------------------------------

function chooseInterval(interval) {
  state.interval = interval;
  for (const b of document.querySelectorAll(".intervals button")) {
    b.classList.toggle("active", b.dataset.interval === interval);
  }
  remember();
  connect();
}

function remember() {
  const query = new URLSearchParams({ symbol: state.symbol, interval: state.interval });
  history.replaceState(null, "", `/?${query}`);
}

async function health() {
  try {
    const h = await (await fetch("/health")).json();
    const parts = [`health: ${h.status}`, `views lag ${h.views.lag}`];
    if (h.reporter) parts.push(`reporter lag ${h.reporter.lag}`);
    const down = Object.entries(h.stages).filter(([, s]) => s.alive === false).map(([n]) => n);
    if (down.length) parts.push(`down: ${down.join(", ")}`);
    $("health").textContent = parts.join(" · ");
  } catch (err) {
    $("health").textContent = "health: unreachable";
  }
}

async function start() {
  const body = await (await fetch("/symbols")).json();
  state.symbols = body.symbols;
  const select = $("symbol");
  for (const s of state.symbols) {
    const option = document.createElement("option");
    option.value = option.textContent = s.symbol;
    select.appendChild(option);
  }
  if (!state.symbols.some((s) => s.symbol === state.symbol)) {
    state.symbol = state.symbols.length ? state.symbols[0].symbol : null;
  }
  if (state.symbol === null) { $("conn").textContent = "no symbols"; return; }
  select.value = state.symbol;
  select.addEventListener("change", () => { state.symbol = select.value; remember(); connect(); });
  for (const b of document.querySelectorAll(".intervals button")) {
    b.addEventListener("click", () => chooseInterval(b.dataset.interval));
  }
  window.addEventListener("resize", schedule);
  chooseInterval(state.interval);
  health();
  setInterval(health, 5000);
}

start();
