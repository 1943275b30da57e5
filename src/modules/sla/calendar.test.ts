import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DateTime } from 'luxon'
import { type CalendarDefinition, compileCalendar, elapsedTime } from './calendar.ts'

const nineToFive = (zone: string, extra: Partial<CalendarDefinition> = {}): CalendarDefinition => ({
  timeZone: zone,
  weeklyHours: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] },
  holidays: [],
  holidayRegion: null,
  ...extra,
})
const allDay = (zone: string): CalendarDefinition => ({
  timeZone: zone,
  weeklyHours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]])),
  holidays: [],
  holidayRegion: null,
})
const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toJSDate()
const inZone = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toISO({ suppressMilliseconds: true })

test('Friday 16:55 with a 60-minute target in a 09:00–17:00 Monday–Friday calendar is due Monday 09:55 in the zone', () => {
  for (const zone of ['Europe/Paris', 'America/New_York', 'Asia/Tokyo']) {
    const cal = compileCalendar(nineToFive(zone))
    const due = cal.addMinutes(local('2026-11-13T16:55', zone), 60)
    assert.equal(DateTime.fromJSDate(due, { zone }).toFormat('ccc yyyy-MM-dd HH:mm'), 'Mon 2026-11-16 09:55', zone)
    assert.equal(cal.minutesBetween(local('2026-11-13T16:55', zone), due), 60)
  }
})

test('several slots a day: the lunch break does not count', () => {
  const cal = compileCalendar(nineToFive('Europe/Paris', { weeklyHours: { mon: [['13:00', '17:00'], ['09:00', '12:00']] } }))
  assert.equal(inZone(cal.addMinutes(local('2026-06-01T11:30', 'Europe/Paris'), 60), 'Europe/Paris'), '2026-06-01T13:30:00+02:00')
  assert.equal(cal.minutesBetween(local('2026-06-01T08:00', 'Europe/Paris'), local('2026-06-01T18:00', 'Europe/Paris')), 420)
})

test('Europe/Paris, March: the spring-forward Sunday has 23 hours, a business day keeps its eight', () => {
  const zone = 'Europe/Paris'
  const cal = compileCalendar(allDay(zone))
  // Saturday 23:00 + 24 counted hours: Sunday 29 March 2026 lasts 23 hours, so Monday 00:00 (not Sunday 23:00).
  assert.equal(inZone(cal.addMinutes(local('2026-03-28T23:00', zone), 24 * 60), zone), '2026-03-30T00:00:00+02:00')
  assert.equal(cal.minutesBetween(local('2026-03-29T00:00', zone), local('2026-03-30T00:00', zone)), 23 * 60)
  const office = compileCalendar(nineToFive(zone))
  assert.equal(inZone(office.addMinutes(local('2026-03-27T16:00', zone), 120), zone), '2026-03-30T10:00:00+02:00')
  assert.equal(office.addMinutes(local('2026-03-27T16:00', zone), 120).toISOString(), '2026-03-30T08:00:00.000Z')
})

test('Europe/Paris, October: the fall-back Sunday has 25 hours', () => {
  const zone = 'Europe/Paris'
  const cal = compileCalendar(allDay(zone))
  assert.equal(cal.minutesBetween(local('2026-10-25T00:00', zone), local('2026-10-26T00:00', zone)), 25 * 60)
  assert.equal(inZone(cal.addMinutes(local('2026-10-24T23:00', zone), 24 * 60), zone), '2026-10-25T22:00:00+01:00')
  const office = compileCalendar(nineToFive(zone))
  assert.equal(inZone(office.addMinutes(local('2026-10-23T16:30', zone), 60), zone), '2026-10-26T09:30:00+01:00')
})

test('America/New_York: a 01:00–04:00 slot across the change is two hours in March and four in November (01:00–02:00 happens twice)', () => {
  const zone = 'America/New_York'
  const night = compileCalendar({ timeZone: zone, weeklyHours: { sun: [['01:00', '04:00']] }, holidays: [], holidayRegion: null })
  assert.equal(night.minutesBetween(local('2026-03-08T00:00', zone), local('2026-03-09T00:00', zone)), 120)
  assert.equal(night.minutesBetween(local('2026-11-01T00:00', zone), local('2026-11-02T00:00', zone)), 240)
  assert.equal(inZone(night.addMinutes(local('2026-03-08T00:00', zone), 90), zone), '2026-03-08T03:30:00-04:00')
  const office = compileCalendar(nineToFive(zone))
  assert.equal(inZone(office.addMinutes(local('2026-03-06T16:55', zone), 60), zone), '2026-03-09T09:55:00-04:00')
  assert.equal(inZone(office.addMinutes(local('2026-10-30T16:55', zone), 60), zone), '2026-11-02T09:55:00-05:00')
})

test('holidays typed in and from a date-holidays region are skipped', () => {
  const zone = 'Europe/Paris'
  const typed = compileCalendar(nineToFive(zone, { holidays: [{ date: '2026-11-16', name: 'Company day' }] }))
  assert.equal(inZone(typed.addMinutes(local('2026-11-13T16:55', zone), 60), zone), '2026-11-17T09:55:00+01:00')
  assert.equal(typed.holidayOn?.('2026-11-16'), 'Company day')
  // Friday 1 May 2026 is Labour Day in France.
  const fr = compileCalendar(nineToFive(zone, { holidayRegion: 'FR' }))
  assert.equal(inZone(fr.addMinutes(local('2026-04-30T16:30', zone), 60), zone), '2026-05-04T09:30:00+02:00')
  assert.ok(fr.holidayOn?.('2026-05-01'))
  // César Chávez Day (31 March) is a public holiday in California, not in New York.
  const ca = compileCalendar(nineToFive('America/Los_Angeles', { holidayRegion: 'US-CA' }))
  assert.equal(inZone(ca.addMinutes(local('2026-03-30T16:30', 'America/Los_Angeles'), 60), 'America/Los_Angeles'), '2026-04-01T09:30:00-07:00')
  const ny = compileCalendar(nineToFive('America/New_York', { holidayRegion: 'US-NY' }))
  assert.equal(inZone(ny.addMinutes(local('2026-03-30T16:30', 'America/New_York'), 60), 'America/New_York'), '2026-03-31T09:30:00-04:00')
})

test('outside business hours a clock starts counting at the next opening; elapsed time counts everything', () => {
  const cal = compileCalendar(nineToFive('Europe/Paris'))
  assert.equal(inZone(cal.addMinutes(local('2026-11-14T10:00', 'Europe/Paris'), 30), 'Europe/Paris'), '2026-11-16T09:30:00+01:00')
  assert.equal(cal.minutesBetween(local('2026-11-14T10:00', 'Europe/Paris'), local('2026-11-15T10:00', 'Europe/Paris')), 0)
  assert.equal(elapsedTime.addMinutes(new Date('2026-01-01T00:00:00Z'), 90).toISOString(), '2026-01-01T01:30:00.000Z')
  assert.equal(elapsedTime.minutesBetween(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T02:00:00Z')), 120)
})
