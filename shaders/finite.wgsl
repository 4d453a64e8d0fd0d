// `check`: flag[0] = 1 when any x is NaN or +-Inf (never cleared here; racing writers all
// store the same 1). `assign`: dst = src only while guard[0] == 0, decided on the device.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> flag: array<f32>;
@group(0) @binding(2) var<storage, read> guard: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// Bit test: `v - v != 0` style checks may be folded away under fast-math assumptions.
fn finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(256)
fn check(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  if (!finite(x[i])) {
    flag[0] = 1.0;
  }
}

@compute @workgroup_size(256)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n || guard[0] != 0.0) { return; }
  dst[i] = x[i];
}

// `check_many`: `check` over up to 6 buffers in one dispatch (the loss and the gradients of a
// training step); counts[k] = 0 marks an unused slot (bound to any buffer, never read).
// `assign_many`: `assign` for up to 3 (src, dst) pairs under one guard (the commit of a step's
// pending moving statistics).

struct Counts {
  n: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> counts: Counts;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read> x3: array<f32>;
@group(0) @binding(5) var<storage, read> x4: array<f32>;
@group(0) @binding(6) var<storage, read> x5: array<f32>;
@group(0) @binding(7) var<storage, read_write> flagMany: array<f32>;

fn count(k: u32) -> u32 {
  return counts.n[k / 4u][k % 4u];
}

@compute @workgroup_size(256)
fn check_many(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  var ok = true;
  if (i < count(0u)) { ok = ok && finite(x[i]); }
  if (i < count(1u)) { ok = ok && finite(x1[i]); }
  if (i < count(2u)) { ok = ok && finite(x2[i]); }
  if (i < count(3u)) { ok = ok && finite(x3[i]); }
  if (i < count(4u)) { ok = ok && finite(x4[i]); }
  if (i < count(5u)) { ok = ok && finite(x5[i]); }
  if (!ok) {
    flagMany[0] = 1.0;
  }
}

@group(0) @binding(4) var<storage, read_write> dst0: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst2: array<f32>;
@group(0) @binding(7) var<storage, read> guardMany: array<f32>;

@compute @workgroup_size(256)
fn assign_many(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (guardMany[0] != 0.0) { return; }
  if (i < count(0u)) { dst0[i] = x[i]; }
  if (i < count(1u)) { dst1[i] = x1[i]; }
  if (i < count(2u)) { dst2[i] = x2[i]; }
}
