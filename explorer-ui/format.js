// Display helpers. Amounts arrive as decimal strings (docs/explorer.md) and stay strings here:
// grouping digits needs no arithmetic, so values beyond 2^53 keep every digit.

export function amount(value) {
  if (value === undefined || value === null || value === '') return '—';
  const text = String(value);
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  if (!/^\d+$/.test(digits)) return text;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return negative ? `−${grouped}` : grouped;
}

export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

export function rate(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2);
}

export function ms(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(n >= 10 ? 1 : 2)} ms`;
}

export function percent(ratio) {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : '—';
}

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Wall-clock time with milliseconds: packets of the same second stay apart. */
export function clock(tsMs) {
  if (typeof tsMs !== 'number') return '—';
  const d = new Date(tsMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function dateTime(tsMs) {
  if (typeof tsMs !== 'number' || !Number.isFinite(tsMs)) return '—';
  const d = new Date(tsMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(tsMs)}`;
}

export function duration(totalMs) {
  if (typeof totalMs !== 'number' || !Number.isFinite(totalMs) || totalMs < 0) return '—';
  const s = Math.floor(totalMs / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A long hex value as its head and tail, the whole in a tooltip. */
export function shortHex(hex, keep = 6) {
  if (typeof hex !== 'string') return '—';
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  const prefix = hex.startsWith('0x') ? '0x' : '';
  return body.length <= keep * 2 + 1 ? hex : `${prefix}${body.slice(0, keep)}…${body.slice(-keep)}`;
}

/** The part of a dotted type after the family: `packet.fulfilled` → `fulfilled`. */
export function kind(type) {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(dot + 1);
}

/** `3 channels`, `1 channel`. */
export function plural(n, noun) {
  return `${count(n)} ${n === 1 ? noun : `${noun}s`}`;
}
