/**
 * Proleptic Gregorian calendar arithmetic on UTC milliseconds, for the timestamp codecs.
 *
 * Why not `Date`: `Date.UTC` maps years 0-99 to 1900-1999 and silently normalises month 13 or
 * Feb 30, so validating through it needs a second Date and a round trip; and formatting through
 * a Date costs an object per packet on the forwarding path. Days are counted from 1970-01-01
 * with the usual era (400-year) decomposition, months counted from March so that the leap day
 * falls last in the year.
 */

export const MS_PER_DAY = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years four digits can hold. */
export const MIN_FOUR_DIGIT_YEAR_MS = -62_167_219_200_000;
export const MAX_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

const DAYS_PER_ERA = 146_097;
/** Days from 0000-03-01 to 1970-01-01. */
const EPOCH_SHIFT_DAYS = 719_468;

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a valid date (`month` 1-12, `day` 1-31). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT_DAYS;
}

/** A calendar date; `civilFromDays` reuses one object (the writers run synchronously). */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const scratch: CivilDate = { year: 0, month: 0, day: 0 };

/** The date `days` after 1970-01-01, in a shared object the next call overwrites: read it at once. */
export function civilFromDays(days: number): CivilDate {
  const z = days + EPOCH_SHIFT_DAYS;
  const era = Math.floor(z / DAYS_PER_ERA);
  const dayOfEra = z - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  scratch.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  scratch.month = month;
  scratch.day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  return scratch;
}
