// Softmax / log-softmax along one axis (x viewed as [outer, len, inner]), max-subtracted so that
// logits of 1e4 stay finite. LOG = 1 selects log-softmax. `forward` / `backward`: one thread per
// row (many short rows); `forward_wide` / `backward_wide`: one workgroup of 256 per row, the
// row's max and sum reduced in workgroup memory (few long rows, e.g. a 1000-class head).
// forward:  y = exp(x - m) / s, or x - m - log(s), m = max(x), s = sum(exp(x - m)).
// backward: softmax dx = y * (dy - sum(dy * y)); log-softmax dx = dy - exp(y) * sum(dy).

override LOG: u32 = 0u;

// A var, not a constant: -inf as a constant expression is a WGSL compile error.
var<private> NEG_INF_BITS: u32 = 0xff800000u;

struct Params {
  rows: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// forward: x; backward: the forward's output y.
@group(0) @binding(1) var<storage, read> x: array<f32>;
// forward: y; backward: dx.
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// backward only.
@group(0) @binding(3) var<storage, read> dy: array<f32>;

fn rowBase(t: u32) -> u32 {
  return (t / p.inner) * p.len * p.inner + t % p.inner;
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows) { return; }
  let base = rowBase(t);
  var m = bitcast<f32>(NEG_INF_BITS);
  for (var k = 0u; k < p.len; k++) { m = max(m, x[base + k * p.inner]); }
  var s = 0.0;
  for (var k = 0u; k < p.len; k++) { s += exp(x[base + k * p.inner] - m); }
  let logS = log(s);
  for (var k = 0u; k < p.len; k++) {
    let i = base + k * p.inner;
    if (LOG == 1u) { out[i] = x[i] - m - logS; } else { out[i] = exp(x[i] - m) / s; }
  }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows) { return; }
  let base = rowBase(t);
  var s = 0.0;
  for (var k = 0u; k < p.len; k++) {
    let i = base + k * p.inner;
    if (LOG == 1u) { s += dy[i]; } else { s += dy[i] * x[i]; }
  }
  for (var k = 0u; k < p.len; k++) {
    let i = base + k * p.inner;
    if (LOG == 1u) { out[i] = dy[i] - exp(x[i]) * s; } else { out[i] = x[i] * (dy[i] - s); }
  }
}

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

// Workgroup-wide max (op 0) or sum (op 1) of each invocation's `v`; every invocation gets it.
fn reduceRow(lid: u32, v: f32, op: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (op == 0u) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] = red[lid] + red[lid + s]; }
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(256)
fn forward_wide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.rows) { return; }
  let base = rowBase(t);
  var m = bitcast<f32>(NEG_INF_BITS);
  for (var k = lid; k < p.len; k += WG) { m = max(m, x[base + k * p.inner]); }
  m = reduceRow(lid, m, 0u);
  var s = 0.0;
  for (var k = lid; k < p.len; k += WG) { s += exp(x[base + k * p.inner] - m); }
  s = reduceRow(lid, s, 1u);
  let logS = log(s);
  for (var k = lid; k < p.len; k += WG) {
    let i = base + k * p.inner;
    if (LOG == 1u) { out[i] = x[i] - m - logS; } else { out[i] = exp(x[i] - m) / s; }
  }
}

@compute @workgroup_size(256)
fn backward_wide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.rows) { return; }
  let base = rowBase(t);
  var s = 0.0;
  for (var k = lid; k < p.len; k += WG) {
    let i = base + k * p.inner;
    if (LOG == 1u) { s += dy[i]; } else { s += dy[i] * x[i]; }
  }
  s = reduceRow(lid, s, 1u);
  for (var k = lid; k < p.len; k += WG) {
    let i = base + k * p.inner;
    if (LOG == 1u) { out[i] = dy[i] - exp(x[i]) * s; } else { out[i] = x[i] * (dy[i] - s); }
  }
}
