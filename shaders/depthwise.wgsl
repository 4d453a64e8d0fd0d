// Depthwise 2-D convolution, filter stored [kH, kW, C, multiplier]: output channel o = c * M + m
// reads input channel c only, with filter[kh, kw, c, m] (TensorFlow's order).
//   forward:     y[b, oh, ow, o] = act(sum over (kh, kw) of x[b, tap, c] * W[kh, kw, c, m] + bias[o])
//   gradInput:   dx[b, ih, iw, c] = sum over (kh, kw, m) of dy[b, pixel whose tap is (ih, iw), c * M + m] * W[kh, kw, c, m]
//   gradFilter:  dW[kh, kw, c, m] = sum over (b, oh, ow) of x[b, tap, c] * dy[b, oh, ow, c * M + m]
// Each output is a short sum (no GEMM): one invocation per output element, 256 per workgroup,
// the grid may be 2-D (more than 65535 workgroups; the linear id uses num_workgroups).
// Activations are addressed through element strides (xs / ys: batch, row, column, channel), so
// NHWC and NCHW are both native. The `*4` entry points (NHWC, multiplier 1, C % 4 == 0) do four
// consecutive channels per invocation with vec4 reads. The filter gradient's sum over the batch is
// split over (image, output row) lines along z (partial sums, added by the host's reduce).

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

/** (batch, row, column, channel) of linear index i over [batch, h, w, c]. */
fn unravel(i: u32, h: u32, w: u32, c: u32) -> vec4<u32> {
  return vec4<u32>(i / (h * w * c), (i / (w * c)) % h, (i / c) % w, i % c);
}

fn linearId(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// a = x, b = filter; one invocation per output element.
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearId(gid, nwg);
  if (i >= p.batch * p.outH * p.outW * p.outC) { return; }
  let y = unravel(i, p.outH, p.outW, p.outC);
  let M = p.outC / p.inC;
  let c = y.w / M;
  var acc = 0.0;
  for (var kh = 0u; kh < p.kH; kh++) {
    let ih = i32(y.y * p.strideH + kh * p.dilationH) - i32(p.padTop);
    if (ih < 0 || ih >= i32(p.inH)) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let iw = i32(y.z * p.strideW + kw * p.dilationW) - i32(p.padLeft);
      if (iw < 0 || iw >= i32(p.inW)) { continue; }
      let xv = a[y.x * p.xs.x + u32(ih) * p.xs.y + u32(iw) * p.xs.z + c * p.xs.w];
      acc += xv * b[(kh * p.kW + kw) * p.outC + y.w];
    }
  }
  if (p.hasBias != 0u) { acc += bias[y.w]; }
  out[y.x * p.ys.x + y.y * p.ys.y + y.z * p.ys.z + y.w * p.ys.w] = activate(acc);
}

// a = dy, b = filter; one invocation per input element.
@compute @workgroup_size(256)
fn gradInput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearId(gid, nwg);
  if (i >= p.batch * p.inH * p.inW * p.inC) { return; }
  let x = unravel(i, p.inH, p.inW, p.inC);
  let M = p.outC / p.inC;
  var acc = 0.0;
  for (var kh = 0u; kh < p.kH; kh++) {
    let th = i32(x.y + p.padTop) - i32(kh * p.dilationH);
    if (th < 0 || th % i32(p.strideH) != 0 || th / i32(p.strideH) >= i32(p.outH)) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let tw = i32(x.z + p.padLeft) - i32(kw * p.dilationW);
      if (tw < 0 || tw % i32(p.strideW) != 0 || tw / i32(p.strideW) >= i32(p.outW)) { continue; }
      let base = x.x * p.ys.x + u32(th) / p.strideH * p.ys.y + u32(tw) / p.strideW * p.ys.z;
      for (var m = 0u; m < M; m++) {
        let o = x.w * M + m;
        acc += a[base + o * p.ys.w] * b[(kh * p.kW + kw) * p.outC + o];
      }
    }
  }
  out[x.x * p.xs.x + x.y * p.xs.y + x.z * p.xs.z + x.w * p.xs.w] = acc;
}

// a = x, b = dy; one invocation per filter element (a sum over the whole batch).
@compute @workgroup_size(256)
fn gradFilter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearId(gid, nwg);
  if (i >= p.kH * p.kW * p.outC) { return; }
  let o = i % p.outC;
  let kh = i / (p.kW * p.outC);
  let kw = (i / p.outC) % p.kW;
  let c = o / (p.outC / p.inC);
  var acc = 0.0;
  let first = gid.z * p.linesPerSplit;
  for (var line = first; line < min(first + p.linesPerSplit, p.batch * p.outH); line++) {
    let z = line / p.outH;
    let oh = line % p.outH;
    let ih = i32(oh * p.strideH + kh * p.dilationH) - i32(p.padTop);
    if (ih < 0 || ih >= i32(p.inH)) { continue; }
    for (var ow = 0u; ow < p.outW; ow++) {
      let iw = i32(ow * p.strideW + kw * p.dilationW) - i32(p.padLeft);
      if (iw < 0 || iw >= i32(p.inW)) { continue; }
      let xv = a[z * p.xs.x + u32(ih) * p.xs.y + u32(iw) * p.xs.z + c * p.xs.w];
      acc += xv * b[z * p.ys.x + oh * p.ys.y + ow * p.ys.z + o * p.ys.w];
    }
  }
  out[gid.z * p.kH * p.kW * p.outC + i] = acc;
}

// forward, four channels per invocation (NHWC, multiplier 1, C % 4 == 0).
@compute @workgroup_size(256)
fn forward4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = p.outC / 4u;
  let i = linearId(gid, nwg);
  if (i >= p.batch * p.outH * p.outW * q) { return; }
  let y = unravel(i, p.outH, p.outW, q);
  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < p.kH; kh++) {
    let ih = i32(y.y * p.strideH + kh * p.dilationH) - i32(p.padTop);
    if (ih < 0 || ih >= i32(p.inH)) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let iw = i32(y.z * p.strideW + kw * p.dilationW) - i32(p.padLeft);
      if (iw < 0 || iw >= i32(p.inW)) { continue; }
      acc += a4[(y.x * p.xs.x + u32(ih) * p.xs.y + u32(iw) * p.xs.z) / 4u + y.w] * b4[(kh * p.kW + kw) * q + y.w];
    }
  }
  let c = y.w * 4u;
  if (p.hasBias != 0u) { acc += vec4<f32>(bias[c], bias[c + 1u], bias[c + 2u], bias[c + 3u]); }
  let o = y.x * p.ys.x + y.y * p.ys.y + y.z * p.ys.z + c;
  for (var j = 0u; j < 4u; j++) { out[o + j] = activate(acc[j]); }
}

// gradInput, four channels per invocation (NHWC, multiplier 1, C % 4 == 0).
@compute @workgroup_size(256)
fn gradInput4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = p.inC / 4u;
  let i = linearId(gid, nwg);
  if (i >= p.batch * p.inH * p.inW * q) { return; }
  let x = unravel(i, p.inH, p.inW, q);
  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < p.kH; kh++) {
    let th = i32(x.y + p.padTop) - i32(kh * p.dilationH);
    if (th < 0 || th % i32(p.strideH) != 0 || th / i32(p.strideH) >= i32(p.outH)) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let tw = i32(x.z + p.padLeft) - i32(kw * p.dilationW);
      if (tw < 0 || tw % i32(p.strideW) != 0 || tw / i32(p.strideW) >= i32(p.outW)) { continue; }
      let base = x.x * p.ys.x + u32(th) / p.strideH * p.ys.y + u32(tw) / p.strideW * p.ys.z;
      acc += a4[base / 4u + x.w] * b4[(kh * p.kW + kw) * q + x.w];
    }
  }
  let o = x.x * p.xs.x + x.y * p.xs.y + x.z * p.xs.z + x.w * 4u;
  for (var j = 0u; j < 4u; j++) { out[o + j] = acc[j]; }
}

// gradFilter, four channels per invocation (NHWC, multiplier 1, C % 4 == 0); z: a split of the batch.
@compute @workgroup_size(256)
fn gradFilter4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = p.outC / 4u;
  let i = linearId(gid, nwg);
  if (i >= p.kH * p.kW * q) { return; }
  let cq = i % q;
  let kh = i / (p.kW * q);
  let kw = (i / q) % p.kW;
  var acc = vec4<f32>(0.0);
  let first = gid.z * p.linesPerSplit;
  for (var line = first; line < min(first + p.linesPerSplit, p.batch * p.outH); line++) {
    let z = line / p.outH;
    let oh = line % p.outH;
    let ih = i32(oh * p.strideH + kh * p.dilationH) - i32(p.padTop);
    if (ih < 0 || ih >= i32(p.inH)) { continue; }
    for (var ow = 0u; ow < p.outW; ow++) {
      let iw = i32(ow * p.strideW + kw * p.dilationW) - i32(p.padLeft);
      if (iw < 0 || iw >= i32(p.inW)) { continue; }
      let xv = a4[(z * p.xs.x + u32(ih) * p.xs.y + u32(iw) * p.xs.z) / 4u + cq];
      acc += xv * b4[(z * p.ys.x + oh * p.ys.y + ow * p.ys.z) / 4u + cq];
    }
  }
  let o = gid.z * p.kH * p.kW * p.outC + i * 4u;
  for (var j = 0u; j < 4u; j++) { out[o + j] = acc[j]; }
}
