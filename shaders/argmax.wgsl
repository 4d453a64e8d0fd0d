// Index of the largest value along one axis, as f32; the first index wins ties and the first
// NaN wins over numbers (numpy's rule). x is viewed as [outer, len, inner].

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.outer * p.inner) { return; }
  let base = (t / p.inner) * p.len * p.inner + t % p.inner;
  var best = x[base];
  var idx = 0u;
  for (var j = 1u; j < p.len; j++) {
    if (isNan(best)) { break; }
    let v = x[base + j * p.inner];
    if (v > best || isNan(v)) {
      best = v;
      idx = j;
    }
  }
  out[t] = f32(idx);
}
