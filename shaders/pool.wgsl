// 2-D max / average pooling over NHWC ([b, h, w, c]) or NCHW ([b, c, h, w], channelsFirst = 1).
// Window (oy, ox) covers rows oy * strideH - padTop + [0, poolH) and columns alike; cells outside
// the input are skipped: max ignores them, avg divides by the number of valid cells (TF's 'same').
// `forward`: one thread per output cell. `backward`: one thread per input cell, gathering from the
// windows that cover it (no atomics); for max, dy goes to the window's first largest cell in
// row-major window order (strict `>`, TF.js's maxPoolPositions), recomputed here.

override MODE: u32 = 0u; // 0 max, 1 avg

// A var, not a constant: -inf as a constant expression is a WGSL compile error.
var<private> NEG_INF_BITS: u32 = 0xff800000u;

struct Params {
  n: u32,
  channels: u32,
  channelsFirst: u32,
  inH: u32,
  inW: u32,
  outH: u32,
  outW: u32,
  poolH: u32,
  poolW: u32,
  strideH: u32,
  strideW: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// forward: the pooled output; backward: dx.
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// backward only: the output gradient.
@group(0) @binding(3) var<storage, read> dy: array<f32>;

fn cellOffset(b: u32, c: u32, h: u32, w: u32, hN: u32, wN: u32) -> u32 {
  if (p.channelsFirst == 1u) { return ((b * p.channels + c) * hN + h) * wN + w; }
  return ((b * hN + h) * wN + w) * p.channels + c;
}

// (b, c, h, w) of flat index i in an array of spatial extent hN x wN.
fn split(i: u32, hN: u32, wN: u32) -> vec4<u32> {
  if (p.channelsFirst == 1u) {
    return vec4<u32>(i / (wN * hN * p.channels), (i / (wN * hN)) % p.channels, (i / wN) % hN, i % wN);
  }
  return vec4<u32>(i / (p.channels * wN * hN), i % p.channels, (i / (p.channels * wN)) % hN, (i / p.channels) % wN);
}

struct Window {
  h0: u32,
  h1: u32,
  w0: u32,
  w1: u32,
}

fn windowOf(oy: u32, ox: u32) -> Window {
  let hs = i32(oy * p.strideH) - i32(p.padTop);
  let ws = i32(ox * p.strideW) - i32(p.padLeft);
  return Window(u32(max(hs, 0)), u32(min(hs + i32(p.poolH), i32(p.inH))),
                u32(max(ws, 0)), u32(min(ws + i32(p.poolW), i32(p.inW))));
}

// Offset of the first largest cell of the window (strict `>`), or 0xffffffff when none beats -inf.
fn argMaxCell(b: u32, c: u32, win: Window) -> u32 {
  var best = bitcast<f32>(NEG_INF_BITS);
  var at = 0xffffffffu;
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) {
      let i = cellOffset(b, c, h, w, p.inH, p.inW);
      if (x[i] > best) {
        best = x[i];
        at = i;
      }
    }
  }
  return at;
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let o = split(i, p.outH, p.outW);
  let win = windowOf(o.z, o.w);
  if (MODE == 0u) {
    let at = argMaxCell(o.x, o.y, win);
    out[i] = select(x[min(at, arrayLength(&x) - 1u)], bitcast<f32>(NEG_INF_BITS), at == 0xffffffffu);
    return;
  }
  var s = 0.0;
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) { s += x[cellOffset(o.x, o.y, h, w, p.inH, p.inW)]; }
  }
  out[i] = s / f32((win.h1 - win.h0) * (win.w1 - win.w0));
}

// First and one-past-last output index along an axis whose windows cover input coordinate `c`.
fn covering(c: u32, pad: u32, poolN: u32, stride: u32, outN: u32) -> vec2<u32> {
  let top = i32(c + pad) - i32(poolN) + 1;
  let lo = select(0u, (u32(top) + stride - 1u) / stride, top > 0);
  let hi = min((c + pad) / stride + 1u, outN);
  return vec2<u32>(lo, max(lo, hi));
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let q = split(i, p.inH, p.inW);
  let rows = covering(q.z, p.padTop, p.poolH, p.strideH, p.outH);
  let cols = covering(q.w, p.padLeft, p.poolW, p.strideW, p.outW);
  var g = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    for (var ox = cols.x; ox < cols.y; ox++) {
      let win = windowOf(oy, ox);
      let d = dy[cellOffset(q.x, q.y, oy, ox, p.outH, p.outW)];
      if (MODE == 0u) {
        if (argMaxCell(q.x, q.y, win) == i) { g += d; }
      } else {
        g += d / f32((win.h1 - win.h0) * (win.w1 - win.w0));
      }
    }
  }
  out[i] = g;
}
