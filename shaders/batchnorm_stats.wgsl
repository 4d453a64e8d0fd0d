// Training-mode batch statistics without a transpose. x is viewed as [outer, C, inner]
// (channel axis in the middle); each channel's n = outer * inner elements are summed in two
// dispatches:
//
//   partial_*   every thread owns one channel (or a vec4 of 4 channels) and a contiguous run
//               of its items, and writes one partial pair of shifted sums
//               S1 = sum(x - s), S2 = sum((x - s)^2), s = the channel's first value.
//               No workgroup memory and no barrier (barriers are slow on SwiftShader).
//   finalize    one workgroup adds the partials per channel, writes mean, biased variance and
//               invStd, and updates the moving statistics in place unless a statistic of any
//               channel is not finite (then it sets flag[0] = 1 and leaves them alone).
//
// Shifted sums keep f32 exact where E[x^2] - E[x]^2 collapses: with mean 1e4 and std 1,
// x - s is exact (Sterbenz) and of order the std, so S2 / n - (S1 / n)^2 loses no digits.
//
// Layout modes (chosen on the host):
//   rows    inner == 1 (NHWC, [N, C]): thread (g, lane) reads rows lane * steps .. + steps - 1
//           at x[r * groups + g]; `_rows4` loads 4 channels at once when C % 4 == 0.
//   planes  inner > 1 (NCHW): each quad of lanes walks a contiguous chunk of channel c (see
//           Cursor); `_planes4` loads 4 items of one channel when inner % 4 == 0.
// Partials: S1 at part[lane * C + c], S2 at part[(lanes + lane) * C + c].

override WG: u32 = 256;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,       // segment length in load units (vec4 or f32)
  lanes: u32,       // threads per channel (group) = partials per channel
  groups: u32,      // rows mode: channel groups (C / 4 or C)
  stride: u32,      // planes mode: load-index step of 4 items, see Cursor
  stepInner: u32,   // planes mode: 4 % inner
  innerElems: u32,  // segment length in f32 elements
  count: f32,       // n, elements per channel
  epsilon: f32,
  momentum: f32,
  correction: f32,  // moving-variance factor: 1 or n / (n - 1)
  flags: u32,       // bit 0: update the moving statistics; small_train: bits 1, 2 gamma, beta given
  jump: u32,        // planes mode: (C - 1) * inner, added when an item wraps past its plane
  total: u32,       // load units of the whole tensor
  steps: u32,       // items per thread
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> part4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> invStd: array<f32>;
@group(0) @binding(6) var<storage, read_write> movingMean: array<f32>;
@group(0) @binding(7) var<storage, read_write> movingVariance: array<f32>;
@group(0) @binding(8) var<storage, read_write> flag: array<f32>;
// small_train only: its output and the affine parameters (placeholders when absent, see flags).
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(9) var<storage, read> gamma: array<f32>;
@group(0) @binding(10) var<storage, read> beta: array<f32>;

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

/** NaN and +-Inf by their exponent bits: immune to compilers that assume finite math. */
fn isFinite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn partial_rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let s = x4[g];
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = x4[e] - s;
    s1 += d;
    s2 = fma(d, d, s2);
  }
  part4[lane * G + g] = s1;
  part4[(p.lanes + lane) * G + g] = s2;
}

@compute @workgroup_size(WG)
fn partial_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = threadIndex(wid, nwg, lid);
  let G = p.groups;
  if (t >= G * p.lanes) { return; }
  let g = t % G;
  let lane = t / G;
  let s = x[g];
  var s1 = 0.0;
  var s2 = 0.0;
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = x[e] - s;
    s1 += d;
    s2 = fma(d, d, s2);
  }
  part[lane * G + g] = s1;
  part[(p.lanes + lane) * G + g] = s2;
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
  let s = vec4<f32>(x4[c * p.inner].x);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var cur = cursorStart(c, lane);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let d = x4[cur.e] - s;
    s1 += d;
    s2 = fma(d, d, s2);
    cur = cursorNext(cur);
  }
  part[lane * C + c] = dot(s1, vec4<f32>(1.0));
  part[(L + lane) * C + c] = dot(s2, vec4<f32>(1.0));
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
  let s = x[c * p.inner];
  var s1 = 0.0;
  var s2 = 0.0;
  var cur = cursorStart(c, lane);
  for (var n = 0u; n < p.steps && cur.e < p.total; n++) {
    let d = x[cur.e] - s;
    s1 += d;
    s2 = fma(d, d, s2);
    cur = cursorNext(cur);
  }
  part[lane * C + c] = s1;
  part[(L + lane) * C + c] = s2;
}

var<workgroup> notFinite: atomic<u32>;

// One workgroup; thread `lid` handles channels lid, lid + WG, ... The single barrier makes the
// skip decision global: one bad channel leaves every moving statistic unchanged.
@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  let C = p.channels;
  let L = p.lanes;
  let n = p.count;
  var bad = false;
  for (var c = lid; c < C; c += WG) {
    var s1 = 0.0;
    var s2 = 0.0;
    for (var l = 0u; l < L; l++) {
      s1 += part[l * C + c];
      s2 += part[(L + l) * C + c];
    }
    let dm = s1 / n;
    let raw = s2 / n - dm * dm;
    let ok = isFinite(dm) && isFinite(raw) && isFinite(x[c * p.innerElems]);
    // Clamp rounding below 0 only: max() may turn NaN into 0 on some drivers.
    let v = select(raw, max(raw, 0.0), ok);
    let mu = x[c * p.innerElems] + dm;
    mean[c] = mu;
    variance[c] = v;
    invStd[c] = inverseSqrt(v + p.epsilon);
    bad = bad || !ok || !isFinite(mu);
  }
  if (bad) { atomicStore(&notFinite, 1u); }
  workgroupBarrier();
  let skip = atomicLoad(&notFinite) != 0u;
  if ((p.flags & 1u) == 0u) { return; }
  if (skip) {
    if (lid == 0u) { flag[0] = 1.0; }
    return;
  }
  let m = p.momentum;
  for (var c = lid; c < C; c += WG) {
    movingMean[c] = m * movingMean[c] + (1.0 - m) * mean[c];
    movingVariance[c] = m * movingVariance[c] + (1.0 - m) * variance[c] * p.correction;
  }
}

// Small inputs (a few thousand elements): the whole training forward in ONE dispatch of one
// workgroup, since launching a dispatch costs more than the work. Thread `lid` owns channels
// lid, lid + WG, ...: it loops over all of a channel's elements for the same shifted sums as
// partial_* (shift = the channel's first value), finalizes as `finalize` does (same finiteness
// rule, decided workgroup-wide after one barrier), then writes y = fma(x - mean, scale, beta) for its
// channels. flags: bit 0 update the moving statistics, bit 1 gamma given, bit 2 beta given.
@compute @workgroup_size(WG)
fn small_train(@builtin(local_invocation_index) lid: u32) {
  let C = p.channels;
  let E = p.innerElems;
  let n = p.count;
  var bad = false;
  for (var c = lid; c < C; c += WG) {
    let s = x[c * E];
    var s1 = 0.0;
    var s2 = 0.0;
    for (var o = 0u; o < p.outer; o++) {
      let base = (o * C + c) * E;
      for (var i = 0u; i < E; i++) {
        let d = x[base + i] - s;
        s1 += d;
        s2 = fma(d, d, s2);
      }
    }
    let dm = s1 / n;
    let raw = s2 / n - dm * dm;
    let ok = isFinite(dm) && isFinite(raw) && isFinite(s);
    let v = select(raw, max(raw, 0.0), ok);
    let mu = s + dm;
    mean[c] = mu;
    variance[c] = v;
    invStd[c] = inverseSqrt(v + p.epsilon);
    bad = bad || !ok || !isFinite(mu);
  }
  if (bad) { atomicStore(&notFinite, 1u); }
  workgroupBarrier();
  let skip = atomicLoad(&notFinite) != 0u;
  let m = p.momentum;
  for (var c = lid; c < C; c += WG) {
    if ((p.flags & 1u) != 0u && !skip) {
      movingMean[c] = m * movingMean[c] + (1.0 - m) * mean[c];
      movingVariance[c] = m * movingVariance[c] + (1.0 - m) * variance[c] * p.correction;
    }
    var g = 1.0;
    var b = 0.0;
    if ((p.flags & 2u) != 0u) { g = gamma[c]; }
    if ((p.flags & 4u) != 0u) { b = beta[c]; }
    let scale = g * invStd[c];
    let mu = mean[c];
    for (var o = 0u; o < p.outer; o++) {
      let base = (o * C + c) * E;
      for (var i = 0u; i < E; i++) {
        y[base + i] = fma(x[base + i] - mu, scale, b);
      }
    }
  }
  if ((p.flags & 1u) != 0u && skip && lid == 0u) { flag[0] = 1.0; }
}

// ---------------------------------------------------------------------------------------------
// Rows mode with C % 4 != 0 ("super4"): four rows are one super-row of 4C values, C vec4s, and
// thread (g, lane) owns vec4 g of each super-row in its run, whose four slots hold the fixed
// channels c_j = (4g + j) % C of rows r_j = (4g + j) / C. Loads stay vec4 at any C; the slots
// fold in the finalize: slot j's partials go to partial row 4 * lane + r_j of channel c_j, so the
// finalize sees 4 * lanes partials per channel. `total` = vec4s of the full super-rows; the last,
// partial super-row (outer % 4 rows) is read through the f32 alias `xTail` of the same buffer,
// element by element below `stride` = outer * C. Shift: each slot's channel's first value.
@group(0) @binding(3) var<storage, read> xTail: array<f32>;

/** Channel c and row r within the super-row of vec4 g's four slots. */
struct Slots { c: vec4<u32>, r: vec4<u32> }

fn slots(g: u32) -> Slots {
  let q = vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u);
  return Slots(q % p.channels, q / p.channels);
}

/** Whether this lane's run of super-rows holds the partial last one (its index is total / C). */
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
  let sl = slots(g);
  let s = vec4<f32>(xTail[sl.c.x], xTail[sl.c.y], xTail[sl.c.z], xTail[sl.c.w]);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  let first = lane * p.steps * G + g;
  let end = min(first + p.steps * G, p.total);
  for (var e = first; e < end; e += G) {
    let d = x4[e] - s;
    s1 += d;
    s2 = fma(d, d, s2);
  }
  if (ownsTail(lane)) {
    for (var j = 0u; j < 4u; j++) {
      let i = 4u * (p.total + g) + j;
      if (i < p.stride) {
        let d = xTail[i] - s[j];
        s1[j] += d;
        s2[j] = fma(d, d, s2[j]);
      }
    }
  }
  let L4 = 4u * p.lanes;
  for (var j = 0u; j < 4u; j++) {
    let row = 4u * lane + sl.r[j];
    part[row * G + sl.c[j]] = s1[j];
    part[(L4 + row) * G + sl.c[j]] = s2[j];
  }
}
