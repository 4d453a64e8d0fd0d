// Broadcasting binary ops: out = f(a, b). OP selects f (see BINARY_CODES in kernels.ts).
// `main` maps an output index to input offsets through per-axis strides (0 on broadcast axes);
// `main4` is the same-shape fast path on vec4s. SCALAR 1 (2) takes b (a) from `p.scalar` instead
// of its buffer (a scalar operand passed by value; the unused binding holds the other operand).

override OP: u32 = 0u;
override SCALAR: u32 = 0u;

struct Params {
  n: u32,
  rank: u32,
  scalar: f32,
  shape: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>,
  bStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

// Read at run time: a constant NaN or Inf is a WGSL compile error.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

// Bit test: compilers may fold `v != v` away under fast-math assumptions.
fn isNan(v: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// Real powers of negative bases: |x|^y with the sign of x for odd integer y; NaN otherwise.
fn powReal(x: vec4<f32>, y: vec4<f32>) -> vec4<f32> {
  let r = pow(abs(x), y);
  let isInt = floor(y) == y;
  let odd = isInt & (abs(y - 2.0 * floor(y / 2.0)) == vec4<f32>(1.0));
  let nan = bitcast<vec4<f32>>(vec4<u32>(NAN_BITS));
  let inf = bitcast<vec4<f32>>(vec4<u32>(INF_BITS));
  let zero = vec4<f32>(0.0);
  var out = select(r, select(nan, select(r, -r, odd), isInt), x < zero);
  // pow() is exp2(y * log2(x)) on some devices: inexact at x == 0, so spell out 0^y.
  out = select(out, select(zero, select(inf, -inf, odd), y < zero), x == zero);
  out = select(out, nan, isNan(x) | isNan(y));
  out = select(out, vec4<f32>(1.0), y == zero);
  return out;
}

fn apply(x: vec4<f32>, y: vec4<f32>) -> vec4<f32> {
  let zero = vec4<f32>(0.0);
  let one = vec4<f32>(1.0);
  let nan = isNan(x) | isNan(y);
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return select(max(x, y), x + y, nan); }
    case 5u: { return select(min(x, y), x + y, nan); }
    case 6u: { return powReal(x, y); }
    case 7u: { return select(zero, one, x > y); }
    case 8u: { return select(zero, one, x >= y); }
    case 9u: { return select(zero, one, x < y); }
    case 10u: { return select(zero, one, x <= y); }
    case 11u: { return select(zero, one, x == y); }
    default: { return x; }
  }
}


// Streaming layout (streamGrid in src/backend/webgpu/context.ts): WG invocations per workgroup
// (64 for small inputs, 256 otherwise), each walking its elements with the grid's stride.
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x + gid.y * nwg.x * WG; i < p.n; i += nwg.x * nwg.y * WG) {
    var rest = i;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let extent = p.shape[u32(d) / 4u][u32(d) % 4u];
      let c = rest % extent;
      rest = rest / extent;
      ia += c * p.aStrides[u32(d) / 4u][u32(d) % 4u];
      ib += c * p.bStrides[u32(d) / 4u][u32(d) % 4u];
    }
    var va = vec4<f32>(p.scalar);
    var vb = va;
    if (SCALAR != 2u) { va = vec4<f32>(a[ia]); }
    if (SCALAR != 1u) { vb = vec4<f32>(b[ib]); }
    out[i] = apply(va, vb).x;
  }
}

@compute @workgroup_size(WG)
fn main4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x + gid.y * nwg.x * WG; i < p.n / 4u; i += nwg.x * nwg.y * WG) {
    var va = vec4<f32>(p.scalar);
    var vb = va;
    if (SCALAR != 2u) { va = a4[i]; }
    if (SCALAR != 1u) { vb = b4[i]; }
    out4[i] = apply(va, vb);
  }
}
