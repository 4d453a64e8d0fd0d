// Elementwise unary maps: y = f(x). OP selects f (see UNARY_CODES in kernels.ts).
// `main` handles any length; `main4` reads vec4s when the length is a multiple of 4.
// The grid may be 2-D (more than 65535 workgroups): the linear id uses num_workgroups.

override OP: u32 = 0u;

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;

// Read at run time: a constant NaN or Inf is a WGSL compile error.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

// Negative inputs are indeterminate in WGSL (SwiftShader returns log|x|): make them NaN.
fn negNan(r: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  return select(r, bitcast<vec4<f32>>(vec4<u32>(NAN_BITS)), v < vec4<f32>(0.0));
}

fn sigmoid(v: vec4<f32>) -> vec4<f32> {
  // exp of a non-positive argument only: no overflow for large |v|.
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
}

fn apply(v: vec4<f32>) -> vec4<f32> {
  let zero = vec4<f32>(0.0);
  let one = vec4<f32>(1.0);
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return v * v; }
    case 3u: { return negNan(sqrt(v), v); }
    case 4u: { return negNan(inverseSqrt(v), v); }
    case 5u: { return exp(v); }
    // SwiftShader's log(0) is about -88: spell out -Inf.
    case 6u: { return select(negNan(log(v), v), -bitcast<vec4<f32>>(vec4<u32>(INF_BITS)), v == zero); }
    case 7u: { return select(zero, v, v > zero); }
    case 8u: { return sigmoid(v); }
    // tanh(10) rounds to 1 in f32; past that, sign() avoids any overflowing intermediate.
    case 9u: { return select(tanh(v), sign(v), abs(v) > vec4<f32>(10.0)); }
    case 10u: { return one / v; }
    case 11u: { return sign(v); }
    case 12u: { return select(zero, one, v > zero); }
    default: { return v; }
  }
}

// Streaming layout (streamGrid in src/backend/webgpu/context.ts): WG invocations per workgroup
// (64 for small inputs, 256 otherwise), each walking its elements with the grid's stride.
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x + gid.y * nwg.x * WG; i < p.n; i += nwg.x * nwg.y * WG) {
    y[i] = apply(vec4<f32>(x[i])).x;
  }
}

@compute @workgroup_size(WG)
fn main4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x + gid.y * nwg.x * WG; i < p.n / 4u; i += nwg.x * nwg.y * WG) {
    y4[i] = apply(x4[i]);
  }
}
