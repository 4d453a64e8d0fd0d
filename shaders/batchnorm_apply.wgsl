// Batch normalization's elementwise pass, y = (x - mean) * scale + beta per channel, for training
// (statistics from batchnorm_stats: stat = invStd) and inference (stat = moving variance, so
// inference is this one dispatch). Per channel
//
//   invStd = stat                              (training)
//          = inverseSqrt(stat + epsilon)       (inference, flags bit 3)
//   scale  = gamma * invStd,  y = fma(x - mean, scale, beta)   (SEMANTICS.md section 2)
//
// Not fma(x, scale, beta - mean * scale): when |mean * scale| dwarfs |y| (data at offset 1e4, a
// one-row batch where scale = gamma / sqrt(eps)) the rounding of that shift wipes out y. x - mean
// is exact for x near mean (Sterbenz), so this form costs one subtraction and loses nothing.
//
// Each thread owns one channel (or a vec4 of 4 channels) and a contiguous run of its items, so the
// per-channel coefficients are computed once per thread, not per element. Same [outer, C, inner]
// view and layout modes as batchnorm_stats.wgsl (rows: inner == 1, planes: inner > 1).

override WG: u32 = 256;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,       // segment length in load units (vec4 or f32)
  lanes: u32,       // threads per channel (group)
  groups: u32,      // rows mode: channel groups (C / 4 or C)
  stride: u32,      // planes mode: load-index step of 4 items, see Cursor
  stepInner: u32,   // planes mode: 4 % inner
  innerElems: u32,
  count: f32,
  epsilon: f32,
  momentum: f32,
  correction: f32,
  flags: u32,       // bit 1: gamma given, bit 2: beta given, bit 3: stat is a variance
  jump: u32,        // planes mode: (C - 1) * inner, added when an item wraps past its plane
  total: u32,       // load units of the whole tensor
  steps: u32,       // items per thread
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> stat: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;

fn threadIndex(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

// Planes mode: the threads of a quad (lanes 4q .. 4q + 3, one SIMD group on SwiftShader) walk
// a contiguous chunk of 4 * steps items of channel c together, items m = 4q * steps + lane % 4,
// + 4, + 8, ..., at load index e = (o * C + c) * inner + i with (o, i) = (m / inner, m % inner).
// Each quad reads whole 64-byte lines in sequence: a prefetchable stream on a CPU, 32-byte
// sectors fully used on a GPU. Stepping keeps e and i and adds `jump` when i wraps, so the loop
// has no division; items past the channel's end give e >= total.
struct Cursor { e: u32, i: u32 }

fn cursorStart(c: u32, lane: u32) -> Cursor {
  let m = (lane & ~3u) * p.steps + (lane & 3u);
  let i = m % p.inner;
  return Cursor(((m / p.inner) * p.channels + c) * p.inner + i, i);
}

/** The next item of a thread's walk: `stride` load units on, plus `jump` when it wraps past its plane. */
fn cursorNext(cur: Cursor) -> Cursor {
  let i = cur.i + p.stepInner;
  let wrap = i >= p.inner;
  return Cursor(select(cur.e + p.stride, cur.e + p.stride + p.jump, wrap), select(i, i - p.inner, wrap));
}

/** (scale, mean, beta) of channel c. Unused gamma/beta bindings hold a placeholder buffer. */
fn coefficients(c: u32) -> vec3<f32> {
  let s = stat[c];
  let inv = select(s, inverseSqrt(s + p.epsilon), (p.flags & 8u) != 0u);
  var g = 1.0;
  var b = 0.0;
  if ((p.flags & 2u) != 0u) { g = gamma[c]; }
  if ((p.flags & 4u) != 0u) { b = beta[c]; }
  let scale = g * inv;
  return vec3<f32>(scale, mean[c], b);
}

@compute @workgroup_size(WG)
fn apply_rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  // Channels (4g + j) % C: 4g + j when C % 4 == 0; with C % 4 != 0 ("super4", rows read as
  // super-rows of 4C values, groups = C, see batchnorm_stats.wgsl) the fixed slots of vec4 g.
  let q = (vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u)) % p.channels;
  let k0 = coefficients(q.x);
  let k1 = coefficients(q.y);
  let k2 = coefficients(q.z);
  let k3 = coefficients(q.w);
  let scale = vec4<f32>(k0.x, k1.x, k2.x, k3.x);
  let mu = vec4<f32>(k0.y, k1.y, k2.y, k3.y);
  let b = vec4<f32>(k0.z, k1.z, k2.z, k3.z);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    y4[e] = fma(x4[e] - mu, scale, b);
  }
}

// Wide rows (C % 4 == 0, many channel groups): each thread owns four neighbouring vec4 groups
// (16 channels; the last thread of a row fewer) instead of one, so a thread's walk down its rows
// reads 64 contiguous bytes per row, and a SIMD group of four threads 256, where one group each
// would jump a whole row (4 C bytes) after every 16. Threads: ceil(groups / 4) per lane.
struct Coef4 {
  scale: vec4<f32>,
  mu: vec4<f32>,
  b: vec4<f32>,
}

/** Coefficients of the vec4 group g (channels 4g .. 4g + 3). */
fn coef4(g: u32) -> Coef4 {
  let k0 = coefficients(4u * g);
  let k1 = coefficients(4u * g + 1u);
  let k2 = coefficients(4u * g + 2u);
  let k3 = coefficients(4u * g + 3u);
  return Coef4(vec4<f32>(k0.x, k1.x, k2.x, k3.x), vec4<f32>(k0.y, k1.y, k2.y, k3.y), vec4<f32>(k0.z, k1.z, k2.z, k3.z));
}

@compute @workgroup_size(WG)
fn apply_rows16(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  let H = (G + 3u) / 4u;
  if (t >= H * p.lanes) { return; }
  let g0 = 4u * (t % H);
  let lane = t / H;
  let live = G - g0; // groups this thread owns: 4, or 1..3 at the end of a row
  // Groups past the row's end reuse g0's coefficients and are never stored.
  let c0 = coef4(g0);
  let c1 = coef4(select(g0, g0 + 1u, live > 1u));
  let c2 = coef4(select(g0, g0 + 2u, live > 2u));
  let c3 = coef4(select(g0, g0 + 3u, live > 3u));
  let first = lane * p.steps * G + g0;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    y4[e] = fma(x4[e] - c0.mu, c0.scale, c0.b);
    if (live > 1u) { y4[e + 1u] = fma(x4[e + 1u] - c1.mu, c1.scale, c1.b); }
    if (live > 2u) { y4[e + 2u] = fma(x4[e + 2u] - c2.mu, c2.scale, c2.b); }
    if (live > 3u) { y4[e + 3u] = fma(x4[e + 3u] - c3.mu, c3.scale, c3.b); }
  }
}

@compute @workgroup_size(WG)
fn apply_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let k = coefficients(g);
  // stepInner: 0, or the first element of the rows a super4 apply_rows4 leaves (rows % 4 of them).
  let first = p.stepInner + lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    y[e] = fma(x[e] - k.y, k.x, k.z);
  }
}

@compute @workgroup_size(WG)
fn apply_planes4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  if (t >= C * p.lanes) { return; }
  let c = t / p.lanes;
  let k = coefficients(c);
  let scale = vec4<f32>(k.x);
  let mu = vec4<f32>(k.y);
  let b = vec4<f32>(k.z);
  var cur = cursorStart(c, t % p.lanes);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    y4[e] = fma(x4[e] - mu, scale, b);
    cur = cursorNext(cur);
  }
}

@compute @workgroup_size(WG)
fn apply_planes(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  if (t >= C * p.lanes) { return; }
  let c = t / p.lanes;
  let k = coefficients(c);
  var cur = cursorStart(c, t % p.lanes);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    y[e] = fma(x[e] - k.y, k.x, k.z);
    cur = cursorNext(cur);
  }
}
