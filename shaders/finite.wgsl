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
