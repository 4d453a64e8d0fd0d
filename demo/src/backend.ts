/**
 * The backend panel: which backend runs (and on which adapter), the WebGPU/CPU switch, and the
 * measured time per training step on each.
 */
import * as wg from 'wgnn';
import { byId, lockWhileBusy } from './dom.js';

type Name = 'webgpu' | 'cpu';

let webgpuAvailable = false;
let fallbackReason = '';
const stepTimes: Record<Name, HTMLElement | null> = { webgpu: null, cpu: null };

/**
 * One line on why the CPU backend may beat WebGPU on this page, from the adapter info: on
 * SwiftShader (a CPU emulation of a GPU) every dispatch costs CPU time, and this page's small
 * batches are a few dispatches of little work each.
 */
function renderSpeedNote(): void {
  const note = byId('speed-note', HTMLElement);
  const a = wg.backendInfo().adapter;
  const emulated = webgpuAvailable && a !== undefined && a !== null && /swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
  note.hidden = !emulated;
  note.textContent = emulated
    ? 'Why the CPU is faster here: this WebGPU adapter is SwiftShader, a CPU emulation of a GPU, and small batches are dispatch-bound.'
    : '';
}

function renderStatus(): void {
  const status = byId('backend-status', HTMLElement);
  const info = wg.backendInfo();
  status.classList.toggle('fallback', !webgpuAvailable);
  status.dataset.backend = info.name;
  if (info.name === 'webgpu') {
    const a = info.adapter;
    const adapter = a ? [a.vendor, a.architecture, a.device].filter((s) => s !== '').join(' / ') : 'unknown adapter';
    status.textContent = `Backend: WebGPU on adapter ${adapter}${a?.description ? ` (${a.description})` : ''}`;
  } else if (webgpuAvailable) {
    status.textContent = 'Backend: CPU (the reference backend; WebGPU is available, switch below)';
  } else {
    status.textContent = `Backend: CPU fallback. WebGPU is not available in this browser (${fallbackReason}), ` +
      'so everything on this page runs on the CPU backend.';
  }
}

/** `wg.init()` ('auto'): WebGPU when an adapter is found, else the CPU backend. */
export async function startBackend(): Promise<void> {
  const select = byId('backend-select', HTMLSelectElement);
  stepTimes.webgpu = byId('step-time-webgpu', HTMLElement);
  stepTimes.cpu = byId('step-time-cpu', HTMLElement);
  const name = await wg.init();
  webgpuAvailable = name === 'webgpu';
  if (!webgpuAvailable) {
    fallbackReason = 'gpu' in navigator ? 'navigator.gpu.requestAdapter() found no adapter' : 'no navigator.gpu';
    const option = select.querySelector<HTMLOptionElement>('option[value="webgpu"]');
    if (option) {
      option.disabled = true;
      option.textContent = 'WebGPU (unavailable)';
    }
  }
  select.value = name;
  renderSpeedNote();
  select.addEventListener('change', () => void switchTo(select.value === 'webgpu' ? 'webgpu' : 'cpu'));
  lockWhileBusy(select);
  renderStatus();
}

const listeners: (() => void)[] = [];

/** Called after every backend switch (tensors made before belong to the old backend). */
export function onBackendChange(fn: () => void): void {
  listeners.push(fn);
}

async function switchTo(name: Name): Promise<void> {
  await wg.init({ backend: name });
  renderStatus();
  for (const fn of listeners) fn();
}

/** Shows the median time of one training step (ms) measured on `name`. */
export function reportStepTime(name: Name, ms: number, batchSize: number): void {
  const el = stepTimes[name];
  if (!el) return;
  el.textContent = `${name === 'webgpu' ? 'WebGPU' : 'CPU'} ${ms.toFixed(1)} ms (batch ${batchSize})`;
  el.dataset.ms = ms.toFixed(3);
}
