// Plain copies dst = src, several ways, so that the benchmark's roofline is the FASTEST copy on
// the adapter in hand rather than one particular kernel. n4 = number of vec4s to copy.
//   one:    one vec4 per invocation (as shaders/copy.wgsl's main4).
//   run:    K consecutive vec4s per invocation (contiguous run starting at i * K).
//   stride: K vec4s per invocation, grid-stride (i, i + T, i + 2T, ...; T = invocations).
// The dispatch is 2-D ([x, y] workgroups of WG invocations) as the library's kernels are.

override K: u32 = 1u;
override WG: u32 = 256u;

struct Params {
  n4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn one(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n4) { return; }
  dst[i] = src[i];
}

@compute @workgroup_size(WG)
fn run(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let base = (gid.x + gid.y * nwg.x * WG) * K;
  let end = min(base + K, p.n4);
  for (var i = base; i < end; i++) {
    dst[i] = src[i];
  }
}

@compute @workgroup_size(WG)
fn stride(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = nwg.x * nwg.y * WG;
  for (var i = gid.x + gid.y * nwg.x * WG; i < p.n4; i += t) {
    dst[i] = src[i];
  }
}
