// Instants as callers send them, read strictly: one reading on every server whatever its time zone.

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/i;
const EARLIEST = Date.UTC(2000, 0, 1);
export const LATEST = Date.UTC(9999, 0, 1);

/**
 * A strict ISO-8601 reading: a date (midnight UTC) or a date-time with its offset. new Date() alone would
 * take "2026-02-30" as March 2 and a zone-less time as the server's local time.
 */
export function parseInstant(value: string): number | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  if (h === undefined) return clampYears(Date.UTC(year, month - 1, day));
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 23 || om > 59) return null;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return clampYears(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset);
}

// Bucket keys are fixed-width text compared as strings: years outside 2000..9998 would break that.
function clampYears(t: number): number | null {
  return t >= EARLIEST && t < LATEST ? t : null;
}
