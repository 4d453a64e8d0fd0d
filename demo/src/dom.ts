/** Small DOM helpers shared by the panels. */

/** The element with this id, checked to be of the expected class. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`demo: #${id} is missing or not a ${type.name}`);
  return el;
}

/** A number input's value, clamped to its min/max; `fallback` when empty or invalid. */
export function numberValue(input: HTMLInputElement, fallback: number): number {
  const v = input.valueAsNumber;
  if (!Number.isFinite(v)) return fallback;
  const min = input.min === '' ? -Infinity : Number(input.min);
  const max = input.max === '' ? Infinity : Number(input.max);
  return Math.min(max, Math.max(min, v));
}

const lockables = new Set<HTMLButtonElement | HTMLSelectElement>();
let busy = false;

/** Controls disabled while any run (seed script or training) uses the engine. */
export function lockWhileBusy(...els: (HTMLButtonElement | HTMLSelectElement)[]): void {
  for (const el of els) lockables.add(el);
}

/** Runs `fn` with every lockable control disabled; returns undefined if another run is going. */
export async function exclusive<T>(fn: () => Promise<T>): Promise<T | undefined> {
  if (busy) return undefined;
  busy = true;
  const before = new Map([...lockables].map((el) => [el, el.disabled]));
  for (const el of lockables) el.disabled = true;
  try {
    return await fn();
  } finally {
    for (const [el, was] of before) el.disabled = was;
    busy = false;
  }
}

/** An error's message for the page. */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
