// Backward of training-mode batch normalization (SEMANTICS.md section 7), three dispatches:
//
//   partial_*   per thread (one channel or a vec4 of channels, a contiguous run of items) the
//               partial sums S1 = sum(dy) and S2 = sum(dy * (x - mean)); no barrier.
//   finalize    one thread per channel adds the partials and writes
//                 dbeta = S1,  dgamma = S2 * invStd
//               and the coefficients of dx = a * dy + b * (x - mean) + c:
//                 a = gamma * invStd,  b = -a * invStd * dgamma / n,  c = -a * dbeta / n
//               which is gamma * invStd / n * (n * dy - dbeta - xhat * dgamma) regrouped.
//   dx_*        dx = fma(a, dy, fma(b, x - mean, c)); x - mean is taken before scaling so data
//               far from zero (mean 1e4) does not cancel in f32.
//
// Scratch `part`: coefficients a, b, c at [0, 3C), then S1 at 3C + lane * C + ch and S2 at
// 3C + (lanes + lane) * C + ch. View and layout modes as in batchnorm_stats.wgsl.

override WG: u32 = 256;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,       // segment length in load units (vec4 or f32)
  lanes: u32,       // threads per channel (group); in finalize: partials per channel
  groups: u32,      // rows mode: channel groups (C / 4 or C)
  stride: u32,      // planes mode: load-index step of 4 items, see Cursor
  stepInner: u32,   // planes mode: 4 % inner
  innerElems: u32,
  count: f32,       // n, elements per channel
  epsilon: f32,
  momentum: f32,
  correction: f32,
  flags: u32,       // bit 1: gamma given; small_grad: bit 4 write dx
  jump: u32,        // planes mode: (C - 1) * inner, added when an item wraps past its plane
  total: u32,       // load units of the whole tensor
  steps: u32,       // items per thread
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> invStd: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<storage, read_write> part4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx4: array<vec4<f32>>;
// small_grad only (with dy, x, mean and dx above).
@group(0) @binding(4) var<storage, read> smallInvStd: array<f32>;
@group(0) @binding(6) var<storage, read> smallGamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> smallDgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> smallDbeta: array<f32>;

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

/** Channels of vec4 g in rows mode: (4g + j) % C, i.e. 4g + j when C % 4 == 0, and the fixed
 * slots of a super-row (groups = C) when C % 4 != 0 ("super4"). */
fn slots4(g: u32) -> vec4<u32> {
  return (vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u)) % p.channels;
}

fn mean4(g: u32) -> vec4<f32> {
  let c = slots4(g);
  return vec4<f32>(mean[c.x], mean[c.y], mean[c.z], mean[c.w]);
}

fn coef4(g: u32, k: u32) -> vec4<f32> {
  let c = vec4<u32>(k * p.channels) + slots4(g);
  return vec4<f32>(part[c.x], part[c.y], part[c.z], part[c.w]);
}

@compute @workgroup_size(WG)
fn partial_rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let mu = mean4(g);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = dy4[e];
    s1 += d;
    s2 = fma(d, x4[e] - mu, s2);
  }
  let base = 3u * G;
  part4[base + lane * G + g] = s1;
  part4[base + (p.lanes + lane) * G + g] = s2;
}

@compute @workgroup_size(WG)
fn partial_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let mu = mean[g];
  var s1 = 0.0;
  var s2 = 0.0;
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = dy[e];
    s1 += d;
    s2 = fma(d, x[e] - mu, s2);
  }
  let base = 3u * G;
  part[base + lane * G + g] = s1;
  part[base + (p.lanes + lane) * G + g] = s2;
}

@compute @workgroup_size(WG)
fn partial_planes4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  let L = p.lanes;
  if (t >= C * L) { return; }
  let c = t / L;
  let lane = t % L;
  let mu = vec4<f32>(mean[c]);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var cur = cursorStart(c, lane);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    let d = dy4[e];
    s1 += d;
    s2 = fma(d, x4[e] - mu, s2);
    cur = cursorNext(cur);
  }
  part[3u * C + lane * C + c] = dot(s1, vec4<f32>(1.0));
  part[3u * C + (L + lane) * C + c] = dot(s2, vec4<f32>(1.0));
}

@compute @workgroup_size(WG)
fn partial_planes(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  let L = p.lanes;
  if (t >= C * L) { return; }
  let c = t / L;
  let lane = t % L;
  let mu = mean[c];
  var s1 = 0.0;
  var s2 = 0.0;
  var cur = cursorStart(c, lane);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    let d = dy[e];
    s1 += d;
    s2 = fma(d, x[e] - mu, s2);
    cur = cursorNext(cur);
  }
  part[3u * C + lane * C + c] = s1;
  part[3u * C + (L + lane) * C + c] = s2;
}

@compute @workgroup_size(WG)
fn finalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let c = threadIndex(wid, nwg, lid);
  let C = p.channels;
  let L = p.lanes;
  if (c >= C) { return; }
  var s1 = 0.0;
  var s2 = 0.0;
  for (var l = 0u; l < L; l++) {
    s1 += part[3u * C + l * C + c];
    s2 += part[3u * C + (L + l) * C + c];
  }
  let is = invStd[c];
  var g = 1.0;
  if ((p.flags & 2u) != 0u) { g = gamma[c]; }
  let dg = s2 * is;
  dbeta[c] = s1;
  dgamma[c] = dg;
  let a = g * is;
  part[c] = a;
  part[C + c] = -a * is * dg / p.count;
  part[2u * C + c] = -a * s1 / p.count;
}

@compute @workgroup_size(WG)
fn dx_rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let mu = mean4(g);
  let a = coef4(g, 0u);
  let b = coef4(g, 1u);
  let c = coef4(g, 2u);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    dx4[e] = fma(a, dy4[e], fma(b, x4[e] - mu, c));
  }
}

@compute @workgroup_size(WG)
fn dx_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let mu = mean[g];
  let a = part[g];
  let b = part[G + g];
  let c = part[2u * G + g];
  // stepInner: 0, or the first element of the rows a super4 dx_rows4 leaves (rows % 4 of them).
  let first = p.stepInner + lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    dx[e] = fma(a, dy[e], fma(b, x[e] - mu, c));
  }
}

@compute @workgroup_size(WG)
fn dx_planes4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  if (t >= C * p.lanes) { return; }
  let ch = t / p.lanes;
  let mu = vec4<f32>(mean[ch]);
  let a = vec4<f32>(part[ch]);
  let b = vec4<f32>(part[C + ch]);
  let c = vec4<f32>(part[2u * C + ch]);
  var cur = cursorStart(ch, t % p.lanes);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    dx4[e] = fma(a, dy4[e], fma(b, x4[e] - mu, c));
    cur = cursorNext(cur);
  }
}

@compute @workgroup_size(WG)
fn dx_planes(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let C = p.channels;
  if (t >= C * p.lanes) { return; }
  let ch = t / p.lanes;
  let mu = mean[ch];
  let a = part[ch];
  let b = part[C + ch];
  let c = part[2u * C + ch];
  var cur = cursorStart(ch, t % p.lanes);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let e = cur.e;
    dx[e] = fma(a, dy[e], fma(b, x[e] - mu, c));
    cur = cursorNext(cur);
  }
}

// Small inputs (a few thousand elements): the whole backward in ONE dispatch of one workgroup.
// Thread `lid` owns channels lid, lid + WG, ...: it loops over all of a channel's elements for
// S1 and S2, writes dbeta and dgamma as `finalize` does, then (flags bit 4) dx as dx_* does.
// Channels are independent, so no barrier. flags: bit 1 gamma given, bit 4 write dx.
@compute @workgroup_size(WG)
fn small_grad(@builtin(local_invocation_index) lid: u32) {
  let C = p.channels;
  let E = p.innerElems;
  for (var ch = lid; ch < C; ch += WG) {
    let mu = mean[ch];
    var s1 = 0.0;
    var s2 = 0.0;
    for (var o = 0u; o < p.outer; o++) {
      let base = (o * C + ch) * E;
      for (var i = 0u; i < E; i++) {
        let d = dy[base + i];
        s1 += d;
        s2 = fma(d, x[base + i] - mu, s2);
      }
    }
    let is = smallInvStd[ch];
    var g = 1.0;
    if ((p.flags & 2u) != 0u) { g = smallGamma[ch]; }
    let dg = s2 * is;
    smallDbeta[ch] = s1;
    smallDgamma[ch] = dg;
    if ((p.flags & 16u) == 0u) { continue; }
    let a = g * is;
    let b = -a * is * dg / p.count;
    let c = -a * s1 / p.count;
    for (var o = 0u; o < p.outer; o++) {
      let base = (o * C + ch) * E;
      for (var i = 0u; i < E; i++) {
        dx[base + i] = fma(a, dy[base + i], fma(b, x[base + i] - mu, c));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rows mode with C % 4 != 0 ("super4", see batchnorm_stats.wgsl): thread (g, lane) owns vec4 g
// of each 4C-value super-row, slots j of channels c_j = (4g + j) % C in rows r_j = (4g + j) / C.
// Partials of slot j go to partial row 4 * lane + r_j (the finalize runs with 4 * lanes); the
// partials read the last, partial super-row element by element through f32 aliases of dy and x.
// dx is dx_rows4 (its slots4 covers super4), then dx_rows over the last rows % 4 rows.
@group(0) @binding(5) var<storage, read> dyTailP: array<f32>;
@group(0) @binding(6) var<storage, read> xTailP: array<f32>;

fn ownsTail(lane: u32) -> bool {
  let tail = p.total / p.channels;
  return tail * 4u < p.outer && lane * p.steps <= tail && tail < (lane + 1u) * p.steps;
}

@compute @workgroup_size(WG)
fn partial_super4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let c = slots4(g);
  let mu = mean4(g);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = dy4[e];
    s1 += d;
    s2 = fma(d, x4[e] - mu, s2);
  }
  if (ownsTail(lane)) {
    for (var j = 0u; j < 4u; j++) {
      let i = 4u * (p.total + g) + j;
      if (i < p.stride) {
        let d = dyTailP[i];
        s1[j] += d;
        s2[j] = fma(d, xTailP[i] - mu[j], s2[j]);
      }
    }
  }
  let r = (vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u)) / G;
  let L4 = 4u * p.lanes;
  for (var j = 0u; j < 4u; j++) {
    let row = 4u * lane + r[j];
    part[3u * G + row * G + c[j]] = s1[j];
    part[3u * G + (L4 + row) * G + c[j]] = s2[j];
  }
}
