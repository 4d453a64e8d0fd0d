// 2-D convolution as implicit GEMMs (no im2col buffer), with a filter stored [kH, kW, inC, outC].
//   forward:     Y[pixel, oc]        = sum over (kh, kw, ic) of X[tap(pixel, kh, kw), ic] * W[kh, kw, ic, oc]
//                then y = act(Y + bias[oc]) in the same pass (the fused epilogue).
//   gradInput:   dX[pixel, ic]       = sum over (kh, kw, oc) of dY[pixel whose tap is this one, oc] * W[kh, kw, ic, oc]
//   gradFilter:  dW[(kh, kw, ic), oc] = sum over (b, oh, ow) of X[tap, ic] * dY[b, oh, ow, oc]
//   activationGrad: dZ = dY * act'(Z), written with Y = act(Z) (elementwise, before the two above)
// Each invocation owns a 4x4 register block of its GEMM's output (4 rows x 4 columns, held as a
// mat4x4 whose column i is row i) and walks the reduction on its own, like the matmul shader: no
// workgroup memory or barriers. A workgroup of 8x8 invocations covers 32x32 outputs; z is the
// batch image (forward, gradInput). Activations are addressed through element strides
// (xs / ys: batch, row, column, channel), so NHWC and NCHW are both native. The `*4` entry points
// read vec4s along channels (NHWC, channel counts multiples of 4; see conv.ts for the rules);
// `gradFilter8` widens its register block to 8x8 and `forwardWide4` to 8x16.
// Padded taps read a clamped in-range address and are multiplied by 0.

struct Params {
  batch: u32,
  inH: u32,
  inW: u32,
  inC: u32,
  outH: u32,
  outW: u32,
  outC: u32,
  kH: u32,
  kW: u32,
  strideH: u32,
  strideW: u32,
  dilationH: u32,
  dilationW: u32,
  padTop: u32,
  padLeft: u32,
  // 0 linear, 1 relu, 2 relu6, 3 sigmoid, 4 tanh (forward only).
  act: u32,
  hasBias: u32,
  // gradFilter: (image, output row) lines summed per split; split z writes partial sums at z.
  linesPerSplit: u32,
  xs: vec4<u32>,
  ys: vec4<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

fn activate(v: f32) -> f32 {
  switch p.act {
    case 1u: { return max(v, 0.0); }
    case 2u: { return clamp(v, 0.0, 6.0); }
    case 3u: {
      // exp of a non-positive argument only: no overflow for large |v|.
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case 4u: { return select(tanh(v), sign(v), abs(v) > 10.0); }
    default: { return v; }
  }
}

/** 0 <= v < n, per lane. */
fn within(v: vec4<i32>, n: u32) -> vec4<bool> {
  return (v >= vec4<i32>(0)) & (v < vec4<i32>(i32(n)));
}

/** Four pixels (rows of a forward / gradInput GEMM) of image z: their row and column. */
struct Pixels {
  h: vec4<i32>,
  w: vec4<i32>,
  first: u32,
  count: u32,
}

fn pixels(first: u32, width: u32, count: u32) -> Pixels {
  let m = min(vec4<u32>(first) + LANES, vec4<u32>(count - 1u));
  return Pixels(vec4<i32>(m / width), vec4<i32>(m % width), first, count);
}

/** Input element offsets of the four pixels' tap (kh, kw), and 1/0 for in range / padding. */
struct Taps {
  off: vec4<u32>,
  scale: vec4<f32>,
}

fn forwardTaps(px: Pixels, z: u32, kh: u32, kw: u32) -> Taps {
  let ih = px.h * i32(p.strideH) - i32(p.padTop) + i32(kh * p.dilationH);
  let iw = px.w * i32(p.strideW) - i32(p.padLeft) + i32(kw * p.dilationW);
  let ok = within(ih, p.inH) & within(iw, p.inW);
  let off = vec4<u32>(z * p.xs.x) + vec4<u32>(max(ih, vec4<i32>(0))) * p.xs.y + vec4<u32>(max(iw, vec4<i32>(0))) * p.xs.z;
  return Taps(select(vec4<u32>(z * p.xs.x), off, ok), select(vec4<f32>(0.0), vec4<f32>(1.0), ok));
}

/** Output pixels whose tap (kh, kw) lands on the four input pixels (gradInput), as offsets into dY. */
fn inputTaps(px: Pixels, z: u32, kh: u32, kw: u32) -> Taps {
  let th = px.h + i32(p.padTop) - i32(kh * p.dilationH);
  let tw = px.w + i32(p.padLeft) - i32(kw * p.dilationW);
  let oh = th / i32(p.strideH);
  let ow = tw / i32(p.strideW);
  // th, tw < 0 fail `within` after the division too (it truncates towards 0), but not -1 / 2 == 0.
  let ok = (th >= vec4<i32>(0)) & (tw >= vec4<i32>(0)) & (th % vec4<i32>(i32(p.strideH)) == vec4<i32>(0)) &
    (tw % vec4<i32>(i32(p.strideW)) == vec4<i32>(0)) & within(oh, p.outH) & within(ow, p.outW);
  let off = vec4<u32>(z * p.ys.x) + vec4<u32>(max(oh, vec4<i32>(0))) * p.ys.y + vec4<u32>(max(ow, vec4<i32>(0))) * p.ys.z;
  return Taps(select(vec4<u32>(z * p.ys.x), off, ok), select(vec4<f32>(0.0), vec4<f32>(1.0), ok));
}

fn gather4(base: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(a[base.x], a[base.y], a[base.z], a[base.w]);
}

/** b[row * stride + cols] for four columns (clamped by the caller). */
fn rowB(row: u32, stride: u32, cols: vec4<u32>) -> vec4<f32> {
  let i = vec4<u32>(row * stride) + cols;
  return vec4<f32>(b[i.x], b[i.y], b[i.z], b[i.w]);
}

/** The fused epilogue of the forward: act(acc + bias) for output channels n0..n0+3. */
fn epilogue(acc: mat4x4<f32>, n0: u32) -> mat4x4<f32> {
  var bv = vec4<f32>(0.0);
  if (p.hasBias != 0u) {
    let c = min(vec4<u32>(n0) + LANES, vec4<u32>(p.outC - 1u));
    bv = vec4<f32>(bias[c.x], bias[c.y], bias[c.z], bias[c.w]);
  }
  var r: mat4x4<f32>;
  for (var i = 0u; i < 4u; i++) {
    let v = acc[i] + bv;
    r[i] = vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
  }
  return r;
}

/** Writes a 4x4 block: rows are pixels of image z (offsets by s), columns channels c0... */
fn storePixels(px: Pixels, z: u32, c0: u32, channels: u32, s: vec4<u32>, acc: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    if (px.first + i >= px.count) { return; }
    let o = z * s.x + u32(px.h[i]) * s.y + u32(px.w[i]) * s.z;
    for (var j = 0u; j < 4u; j++) {
      let c = c0 + j;
      if (c >= channels) { break; }
      out[o + c * s.w] = acc[i][j];
    }
  }
}

// a = x, b = filter. Rows: output pixels of image z; columns: output channels.
@compute @workgroup_size(8, 8)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let px = pixels(gid.y * 4u, p.outW, p.outH * p.outW);
  if (n0 >= p.outC || px.first >= px.count) { return; }
  let cols = min(vec4<u32>(n0) + LANES, vec4<u32>(p.outC - 1u));
  var acc = mat4x4<f32>();
  for (var kh = 0u; kh < p.kH; kh++) {
    for (var kw = 0u; kw < p.kW; kw++) {
      let t = forwardTaps(px, gid.z, kh, kw);
      let wRow = (kh * p.kW + kw) * p.inC;
      for (var ic = 0u; ic < p.inC; ic++) {
        let xv = gather4(t.off + vec4<u32>(ic * p.xs.w)) * t.scale;
        let wv = rowB(wRow + ic, p.outC, cols);
        acc += mat4x4<f32>(xv.x * wv, xv.y * wv, xv.z * wv, xv.w * wv);
      }
    }
  }
  storePixels(px, gid.z, n0, p.outC, p.ys, epilogue(acc, n0));
}

// forwardWide4, the forward with vec4 reads (x along channels: NHWC, inC % 4 == 0; the filter
// along outC, outC % 4 == 0) and an 8x16 register block per invocation, as the matmul shader's wide
// kernels: two groups of 4 pixels (4 TILE_Y rows apart) by four groups of 4 output channels
// (4 TILE_X apart), so each loaded filter block feeds two products and each loaded pixel vec4
// four. A workgroup of TILE_X x TILE_Y invocations covers 8 TILE_Y pixels by 16 TILE_X channels
// (conv.ts sizes it to outC and to the pixel count). Groups past outC read the last group
// (clamped) and are not stored.
override TILE_X: u32 = 4u;
override TILE_Y: u32 = 16u;

/** The four input pixels' channels c..c+3 at their tap, as the columns of a matrix. */
fn tapBlock(t: Taps, c: u32) -> mat4x4<f32> {
  let o = t.off / 4u + vec4<u32>(c);
  return mat4x4<f32>(a4[o.x] * t.scale.x, a4[o.y] * t.scale.y, a4[o.z] * t.scale.z, a4[o.w] * t.scale.w);
}

/** Filter rows r..r+3 over output-channel group g (4 channels), as the columns of a matrix. */
fn filterBlock(r: u32, q: u32, g: u32) -> mat4x4<f32> {
  let i = r * q + g;
  return mat4x4<f32>(b4[i], b4[i + q], b4[i + 2u * q], b4[i + 3u * q]);
}

/** Four channel groups' 4x4 blocks: a pixel group's accumulators, or one step's filter blocks. */
struct Row4 {
  c0: mat4x4<f32>,
  c1: mat4x4<f32>,
  c2: mat4x4<f32>,
  c3: mat4x4<f32>,
}

/** One step of 4 input channels: each channel group's filter block times the pixel block. */
fn step4(acc: Row4, w: Row4, x: mat4x4<f32>) -> Row4 {
  return Row4(acc.c0 + w.c0 * x, acc.c1 + w.c1 * x, acc.c2 + w.c2 * x, acc.c3 + w.c3 * x);
}

fn storeRow4(px: Pixels, z: u32, n0: u32, dn: u32, acc: Row4) {
  storePixels(px, z, n0, p.outC, p.ys, epilogue(acc.c0, n0));
  storePixels(px, z, n0 + dn, p.outC, p.ys, epilogue(acc.c1, n0 + dn));
  storePixels(px, z, n0 + 2u * dn, p.outC, p.ys, epilogue(acc.c2, n0 + 2u * dn));
  storePixels(px, z, n0 + 3u * dn, p.outC, p.ys, epilogue(acc.c3, n0 + 3u * dn));
}

@compute @workgroup_size(TILE_X, TILE_Y)
fn forwardWide4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let count = p.outH * p.outW;
  let n0 = wg.x * 16u * TILE_X + lid.x * 4u;
  let m0 = wg.y * 8u * TILE_Y + lid.y * 4u;
  if (n0 >= p.outC || m0 >= count) { return; }
  let z = wg.z;
  let top = pixels(m0, p.outW, count);
  let bottom = pixels(m0 + 4u * TILE_Y, p.outW, count);
  let q = p.outC / 4u;
  let g = min(vec4<u32>(n0 / 4u) + vec4<u32>(0u, 1u, 2u, 3u) * TILE_X, vec4<u32>(q - 1u));
  var t: Row4;
  var u: Row4;
  for (var kh = 0u; kh < p.kH; kh++) {
    for (var kw = 0u; kw < p.kW; kw++) {
      let tt = forwardTaps(top, z, kh, kw);
      let tb = forwardTaps(bottom, z, kh, kw);
      let wRow = (kh * p.kW + kw) * p.inC;
      for (var ic = 0u; ic < p.inC; ic += 4u) {
        let xt = tapBlock(tt, ic / 4u);
        let xb = tapBlock(tb, ic / 4u);
        let w = Row4(filterBlock(wRow + ic, q, g.x), filterBlock(wRow + ic, q, g.y),
          filterBlock(wRow + ic, q, g.z), filterBlock(wRow + ic, q, g.w));
        t = step4(t, w, xt);
        u = step4(u, w, xb);
      }
    }
  }
  let dn = 4u * TILE_X;
  storeRow4(top, z, n0, dn, t);
  storeRow4(bottom, z, n0, dn, u);
}

// a = dy, b = filter. Rows: input pixels of image z; columns: input channels.
@compute @workgroup_size(8, 8)
fn gradInput(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c0 = gid.x * 4u;
  let px = pixels(gid.y * 4u, p.inW, p.inH * p.inW);
  if (c0 >= p.inC || px.first >= px.count) { return; }
  let ics = min(vec4<u32>(c0) + LANES, vec4<u32>(p.inC - 1u));
  var acc = mat4x4<f32>();
  for (var kh = 0u; kh < p.kH; kh++) {
    for (var kw = 0u; kw < p.kW; kw++) {
      let t = inputTaps(px, gid.z, kh, kw);
      let wRow = vec4<u32>((kh * p.kW + kw) * p.inC) + ics;
      for (var oc = 0u; oc < p.outC; oc++) {
        let dv = gather4(t.off + vec4<u32>(oc * p.ys.w)) * t.scale;
        let wi = wRow * p.outC + vec4<u32>(oc);
        let wv = vec4<f32>(b[wi.x], b[wi.y], b[wi.z], b[wi.w]);
        acc += mat4x4<f32>(dv.x * wv, dv.y * wv, dv.z * wv, dv.w * wv);
      }
    }
  }
  storePixels(px, gid.z, c0, p.inC, p.xs, acc);
}

// gradInput with vec4 reads along output channels (NHWC, outC % 4 == 0).
@compute @workgroup_size(8, 8)
fn gradInput4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c0 = gid.x * 4u;
  let px = pixels(gid.y * 4u, p.inW, p.inH * p.inW);
  if (c0 >= p.inC || px.first >= px.count) { return; }
  let ics = min(vec4<u32>(c0) + LANES, vec4<u32>(p.inC - 1u));
  let q = p.outC / 4u;
  var acc = mat4x4<f32>();
  for (var kh = 0u; kh < p.kH; kh++) {
    for (var kw = 0u; kw < p.kW; kw++) {
      let t = inputTaps(px, gid.z, kh, kw);
      let o = t.off / 4u;
      let wRow = (vec4<u32>((kh * p.kW + kw) * p.inC) + ics) * q;
      for (var c = 0u; c < q; c++) {
        // Column j: filter row (kh, kw, ic0 + j) over four output channels; dv * w sums over them.
        let w = mat4x4<f32>(b4[wRow.x + c], b4[wRow.y + c], b4[wRow.z + c], b4[wRow.w + c]);
        acc[0] += (a4[o.x + c] * t.scale.x) * w;
        acc[1] += (a4[o.y + c] * t.scale.y) * w;
        acc[2] += (a4[o.z + c] * t.scale.z) * w;
        acc[3] += (a4[o.w + c] * t.scale.w) * w;
      }
    }
  }
  storePixels(px, gid.z, c0, p.inC, p.xs, acc);
}

/** The four GEMM rows (kh, kw, ic) of a filter-gradient block, clamped to the last row. */
struct FilterRows {
  kh: vec4<u32>,
  kw: vec4<u32>,
  ic: vec4<u32>,
}

fn filterRows(r0: u32) -> FilterRows {
  let r = min(vec4<u32>(r0) + LANES, vec4<u32>(p.kH * p.kW * p.inC - 1u));
  let k = r / p.inC;
  return FilterRows(k / p.kW, k % p.kW, r % p.inC);
}

/** x offsets of the four rows' taps for output pixel (z, oh, ow), and 1/0 for in range. */
fn filterTaps(fr: FilterRows, z: u32, oh: u32, ow: u32) -> Taps {
  let ih = vec4<i32>(vec4<u32>(oh * p.strideH) + fr.kh * p.dilationH) - i32(p.padTop);
  let iw = vec4<i32>(vec4<u32>(ow * p.strideW) + fr.kw * p.dilationW) - i32(p.padLeft);
  let ok = within(ih, p.inH) & within(iw, p.inW);
  let off = vec4<u32>(z * p.xs.x) + vec4<u32>(max(ih, vec4<i32>(0))) * p.xs.y +
    vec4<u32>(max(iw, vec4<i32>(0))) * p.xs.z + fr.ic * p.xs.w;
  return Taps(select(vec4<u32>(z * p.xs.x), off, ok), select(vec4<f32>(0.0), vec4<f32>(1.0), ok));
}

fn storeFilter(r0: u32, n0: u32, split: u32, acc: mat4x4<f32>) {
  let rows = p.kH * p.kW * p.inC;
  let base = split * rows * p.outC;
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= rows) { return; }
    for (var j = 0u; j < 4u; j++) {
      if (n0 + j < p.outC) { out[base + (r0 + i) * p.outC + n0 + j] = acc[i][j]; }
    }
  }
}

// a = x, b = dy. Rows: filter rows (kh, kw, ic); columns: output channels; z: a split of the
// reduction (a range of (image, output row) lines), so that small filters still fill the device.
@compute @workgroup_size(8, 8)
fn gradFilter(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let r0 = gid.y * 4u;
  if (n0 >= p.outC || r0 >= p.kH * p.kW * p.inC) { return; }
  let fr = filterRows(r0);
  let cols = min(vec4<u32>(n0) + LANES, vec4<u32>(p.outC - 1u)) * p.ys.w;
  var acc = mat4x4<f32>();
  let first = gid.z * p.linesPerSplit;
  for (var line = first; line < min(first + p.linesPerSplit, p.batch * p.outH); line++) {
    let z = line / p.outH;
    let oh = line % p.outH;
    for (var ow = 0u; ow < p.outW; ow++) {
      let t = filterTaps(fr, z, oh, ow);
      let xv = gather4(t.off) * t.scale;
      let dv = rowB(0u, 0u, cols + vec4<u32>(z * p.ys.x + oh * p.ys.y + ow * p.ys.z));
      acc += mat4x4<f32>(xv.x * dv, xv.y * dv, xv.z * dv, xv.w * dv);
    }
  }
  storeFilter(r0, n0, gid.z, acc);
}

/** The tap (kh, kw) and first channel of the quad of filter rows from r (inC % 4 == 0). */
struct RowQuad {
  kh: u32,
  kw: u32,
  ic: u32,
  live: bool,
}

fn rowQuad(r: u32) -> RowQuad {
  let rows = p.kH * p.kW * p.inC;
  let rr = min(r, rows - 4u);
  let k = rr / p.inC;
  return RowQuad(k / p.kW, k % p.kW, rr % p.inC, r < rows);
}

/** The x vec4 offset of column 0 of a quad's tap row on output row oh; -1 where that row is padding. */
fn quadRow(q: RowQuad, z: u32, oh: u32) -> i32 {
  let ih = i32(oh * p.strideH + q.kh * p.dilationH) - i32(p.padTop);
  let ok = ih >= 0 && ih < i32(p.inH);
  return select(-1, i32((z * p.xs.x + u32(max(ih, 0)) * p.xs.y + q.ic) / 4u), ok);
}

/** x (4 channels) of a quad's tap at output column ow, 0 where the tap is padding (row < 0: padded row). */
fn quadX(q: RowQuad, row: i32, ow: u32) -> vec4<f32> {
  let iw = i32(ow * p.strideW + q.kw * p.dilationW) - i32(p.padLeft);
  let ok = row >= 0 && iw >= 0 && iw < i32(p.inW);
  let i = u32(max(row, 0)) + u32(clamp(iw, 0, i32(p.inW) - 1)) * (p.xs.z / 4u);
  return a4[i] * select(0.0, 1.0, ok);
}

fn outer(xv: vec4<f32>, dv: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(xv.x * dv, xv.y * dv, xv.z * dv, xv.w * dv);
}

// gradFilter with vec4 reads (NHWC, inC % 4 == 0: each quad of filter rows is four channels of
// one tap; outC % 4 == 0) and an 8x8 block per invocation: two quads of filter rows x two quads of
// output channels, so each loaded vec4 feeds 32 multiply-adds (a 4x4 block: 16; it ran at
// 0.31-0.38x the matmul's GFLOP/s, this at 0.55-0.86x). A workgroup covers 64x64 outputs.
@compute @workgroup_size(8, 8)
fn gradFilter8(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 8u;
  let r0 = gid.y * 8u;
  if (n0 >= p.outC || r0 >= p.kH * p.kW * p.inC) { return; }
  let qa = rowQuad(r0);
  let qb = rowQuad(r0 + 4u);
  // The second channel quad, clamped into range (its sums are then not stored).
  let n1 = min(n0 + 4u, p.outC - 4u);
  var a00 = mat4x4<f32>();
  var a01 = mat4x4<f32>();
  var a10 = mat4x4<f32>();
  var a11 = mat4x4<f32>();
  let first = gid.z * p.linesPerSplit;
  let ysW = p.ys.z / 4u;
  for (var line = first; line < min(first + p.linesPerSplit, p.batch * p.outH); line++) {
    let z = line / p.outH;
    let oh = line % p.outH;
    let ra = quadRow(qa, z, oh);
    let rb = quadRow(qb, z, oh);
    if (ra < 0 && rb < 0) { continue; }
    let dRow = (z * p.ys.x + oh * p.ys.y) / 4u;
    for (var ow = 0u; ow < p.outW; ow++) {
      let xa = quadX(qa, ra, ow);
      let xb = quadX(qb, rb, ow);
      let d = dRow + ow * ysW;
      let d0 = b4[d + n0 / 4u];
      let d1 = b4[d + n1 / 4u];
      a00 += outer(xa, d0);
      a01 += outer(xa, d1);
      a10 += outer(xb, d0);
      a11 += outer(xb, d1);
    }
  }
  storeFilter(r0, n0, gid.z, a00);
  if (qb.live) { storeFilter(r0 + 4u, n0, gid.z, a10); }
  if (n0 + 4u < p.outC) {
    storeFilter(r0, n1, gid.z, a01);
    if (qb.live) { storeFilter(r0 + 4u, n1, gid.z, a11); }
  }
}

/** act'(z) written with y = act(z). */
fn slope(y: f32) -> f32 {
  switch p.act {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return select(0.0, 1.0, y > 0.0 && y < 6.0); }
    case 3u: { return y * (1.0 - y); }
    case 4u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}

// a = dy, b = y (the fused forward's output); one invocation per element, 2-D grid of 256s.
@compute @workgroup_size(256)
fn activationGrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.batch * p.outH * p.outW * p.outC) { return; }
  out[i] = a[i] * slope(b[i]);
}
