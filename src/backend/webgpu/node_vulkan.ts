/**
 * Dawn in Node on Linux reaches the GPU (or SwiftShader, a CPU Vulkan driver) through three
 * pieces: the `webgpu` package, the Vulkan loader `libvulkan.so.1` (Debian's `libvulkan1`), and a
 * driver manifest (an ICD; `VK_ICD_FILENAMES` names one, e.g. Chromium's SwiftShader). This file
 * finds the loader when the system has none and says which piece is missing when no adapter
 * comes back.
 *
 * Chromium ships a loader next to its SwiftShader manifest (/usr/lib/chromium/libvulkan.so.1).
 * When `libvulkan.so.1` cannot be loaded by name, the copy next to a `VK_ICD_FILENAMES` manifest
 * is loaded by path before Dawn starts, with RTLD_NODELETE so it stays: Dawn's own
 * dlopen('libvulkan.so.1') then finds it by its soname. That is what LD_LIBRARY_PATH would do,
 * which a running process cannot set for itself. The manifest's directory is trusted as much as
 * the manifest is (the loader runs the driver library it names anyway).
 */

/** glibc's RTLD_NOW and RTLD_NODELETE (Node's os.constants.dlopen lacks the latter). */
const RTLD_NOW = 0x2;
const RTLD_NODELETE = 0x1000;

interface NodeProcess {
  readonly platform: string;
  readonly env: Record<string, string | undefined>;
  dlopen(module: { exports: object }, filename: string, flags: number): void;
}

type FsModule = { existsSync(p: string): boolean };

/** Where the Vulkan loader came from: the system, a preloaded copy, or nowhere. */
export type LoaderState =
  | { readonly kind: 'system' }
  | { readonly kind: 'preloaded'; readonly path: string }
  | { readonly kind: 'missing'; readonly tried: readonly string[] }
  | { readonly kind: 'not-linux' };

function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

/** Loads a shared library (not a Node addon, so Node reports "did not self-register"). */
function load(proc: NodeProcess, file: string): boolean {
  try {
    proc.dlopen({ exports: {} }, file, RTLD_NOW | RTLD_NODELETE);
    return true;
  } catch (e) {
    return /did not self-register/.test(String((e as Error).message));
  }
}

/** The manifests `VK_ICD_FILENAMES` names (a colon-separated list). */
function manifests(proc: NodeProcess): string[] {
  return (proc.env.VK_ICD_FILENAMES ?? '').split(':').filter((s) => s);
}

const dirname = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/'))) || '/';

/** Makes `libvulkan.so.1` loadable for Dawn if the system lacks it (see the file comment). */
export function ensureVulkanLoader(): LoaderState {
  const proc = nodeProcess();
  if (!proc || proc.platform !== 'linux') return { kind: 'not-linux' };
  if (load(proc, 'libvulkan.so.1')) return { kind: 'system' };
  const tried = manifests(proc).map((m) => `${dirname(m)}/libvulkan.so.1`);
  for (const path of tried) if (load(proc, path)) return { kind: 'preloaded', path };
  return { kind: 'missing', tried };
}

/**
 * Why Dawn found no adapter, as a sentence for the BackendError: the missing loader, an unset or
 * wrong `VK_ICD_FILENAMES`, or a driver that loaded but offered nothing.
 */
export async function diagnoseNoAdapter(loader: LoaderState): Promise<string> {
  const proc = nodeProcess();
  const example = 'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader, from the chromium package)';
  if (!proc || loader.kind === 'not-linux') return `no adapter found; check the GPU driver (or set ${example})`;
  const files = manifests(proc);
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as FsModule;
  const absent = files.filter((f) => !fs.existsSync(f));
  const noManifest = files.length > 0 && absent.length === files.length
    ? `VK_ICD_FILENAMES names no existing file (${absent.join(', ')}); e.g. ${example}` : null;
  if (loader.kind === 'missing') {
    return 'the Vulkan loader libvulkan.so.1 is missing: install it (Debian/Ubuntu: apt-get install libvulkan1)' +
      (files.length === 0 ? `, or set ${example}, whose directory also holds a loader`
        : `; there is none next to the VK_ICD_FILENAMES manifest either (tried ${loader.tried.join(', ')})`) +
      (noManifest ? `. Also: ${noManifest}` : '');
  }
  if (files.length === 0) return `the Vulkan loader found no driver: install a GPU's Vulkan driver, or set ${example}`;
  if (noManifest) return noManifest;
  return `the Vulkan driver of VK_ICD_FILENAMES=${files.join(':')} offered no adapter (see Dawn's warnings above)`;
}
