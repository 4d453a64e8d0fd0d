// `check`: flag[0] = 1 when any x is NaN or +-Inf (never cleared here; racing writers all
// store the same 1). `assign`: dst = src only while guard[0] == 0, decided on the device.
// Streaming layout (as shaders/optimizer.wgsl): workgroups of 256, each invocation walks its
// elements with the grid's stride (streamGrid in src/backend/webgpu/context.ts).

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

fn finite4(v: vec4<f32>) -> bool {
  return all((bitcast<vec4<u32>>(v) & vec4<u32>(0x7f800000u)) != vec4<u32>(0x7f800000u));
}

/** This invocation's first element (group) and the grid stride. */
fn start(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  return vec2<u32>(gid.x + gid.y * nwg.x * 256u, nwg.x * nwg.y * 256u);
}

@compute @workgroup_size(256)
fn check(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let st = start(gid, nwg);
  var ok = true;
  for (var i = st.x; i < p.n; i += st.y) { ok = ok && finite(x[i]); }
  if (!ok) {
    flag[0] = 1.0;
  }
}

@compute @workgroup_size(256)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < p.n; i += st.y) { dst[i] = x[i]; }
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
  let st = start(gid, nwg);
  var ok = true;
  for (var i = st.x; i < count(0u); i += st.y) { ok = ok && finite(x[i]); }
  for (var i = st.x; i < count(1u); i += st.y) { ok = ok && finite(x1[i]); }
  for (var i = st.x; i < count(2u); i += st.y) { ok = ok && finite(x2[i]); }
  for (var i = st.x; i < count(3u); i += st.y) { ok = ok && finite(x3[i]); }
  for (var i = st.x; i < count(4u); i += st.y) { ok = ok && finite(x4[i]); }
  for (var i = st.x; i < count(5u); i += st.y) { ok = ok && finite(x5[i]); }
  if (!ok) {
    flagMany[0] = 1.0;
  }
}

// `check_many` over vec4s: every count a multiple of 4 (counts are still in floats).
@group(0) @binding(1) var<storage, read> v0: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v1: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v2: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v3: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> v4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> v5: array<vec4<f32>>;

@compute @workgroup_size(256)
fn check_many4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let st = start(gid, nwg);
  var ok = true;
  for (var i = st.x; i < count(0u) / 4u; i += st.y) { ok = ok && finite4(v0[i]); }
  for (var i = st.x; i < count(1u) / 4u; i += st.y) { ok = ok && finite4(v1[i]); }
  for (var i = st.x; i < count(2u) / 4u; i += st.y) { ok = ok && finite4(v2[i]); }
  for (var i = st.x; i < count(3u) / 4u; i += st.y) { ok = ok && finite4(v3[i]); }
  for (var i = st.x; i < count(4u) / 4u; i += st.y) { ok = ok && finite4(v4[i]); }
  for (var i = st.x; i < count(5u) / 4u; i += st.y) { ok = ok && finite4(v5[i]); }
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
  if (guardMany[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < count(0u); i += st.y) { dst0[i] = x[i]; }
  for (var i = st.x; i < count(1u); i += st.y) { dst1[i] = x1[i]; }
  for (var i = st.x; i < count(2u); i += st.y) { dst2[i] = x2[i]; }
}
