// Reductions over arbitrary axes without transposing. Output element o (over the kept axes)
// and chunk k: loops over the reduced index range [k*chunk, min((k+1)*chunk, redN)), decoding
// each reduced index into input offsets through the reduced axes' strides. With chunks > 1 the
// result is a partial [outN, chunks] array that a second pass reduces (see kernels.ts).
// OP: 0 sum, 1 max, 2 min. Max/min propagate NaN.

override OP: u32 = 0u;

struct Params {
  outN: u32,
  chunks: u32,
  chunk: u32,
  redN: u32,
  keptRank: u32,
  redRank: u32,
  divisor: f32, // sum: out = total / divisor (1 except in the last pass of a mean)
  keptShape: array<vec4<u32>, 2>,
  keptStrides: array<vec4<u32>, 2>,
  redShape: array<vec4<u32>, 2>,
  redStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Read at run time: a constant NaN or Inf is a WGSL compile error.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn identity() -> f32 {
  switch OP {
    case 1u: { return -bitcast<f32>(INF_BITS); }
    case 2u: { return bitcast<f32>(INF_BITS); }
    default: { return 0.0; }
  }
}

fn combine(acc: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return select(acc, v, v > acc || isNan(v)); }
    case 2u: { return select(acc, v, v < acc || isNan(v)); }
    default: { return acc + v; }
  }
}

/** Invocations per workgroup: 64 for few outputs, 256 otherwise (see reduce.ts). */
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= p.outN * p.chunks) { return; }
  let o = t / p.chunks;
  let k = t % p.chunks;
  var base = 0u;
  var rest = o;
  for (var d = i32(p.keptRank) - 1; d >= 0; d--) {
    let u = u32(d);
    let extent = p.keptShape[u / 4u][u % 4u];
    base += (rest % extent) * p.keptStrides[u / 4u][u % 4u];
    rest = rest / extent;
  }
  let start = k * p.chunk;
  let end = min(start + p.chunk, p.redN);
  var acc = identity();
  var nanSeen = false;
  if (p.redRank == 1u) {
    // One reduced axis (after collapsing): a plain strided walk, no index decoding.
    let stride = p.redStrides[0].x;
    for (var r = start; r < end; r++) {
      let v = x[base + r * stride];
      nanSeen = nanSeen || isNan(v);
      acc = combine(acc, v);
    }
  } else {
    for (var r = start; r < end; r++) {
      var off = base;
      var rr = r;
      for (var d = i32(p.redRank) - 1; d >= 0; d--) {
        let u = u32(d);
        let extent = p.redShape[u / 4u][u % 4u];
        off += (rr % extent) * p.redStrides[u / 4u][u % 4u];
        rr = rr / extent;
      }
      let v = x[off];
      nanSeen = nanSeen || isNan(v);
      acc = combine(acc, v);
    }
  }
  if (OP != 0u && nanSeen) {
    acc = bitcast<f32>(NAN_BITS);
  }
  if (OP == 0u) {
    acc = acc / p.divisor;
  }
  out[t] = acc;
}
