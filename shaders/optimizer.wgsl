// Fused optimizer steps, in place (Keras 3 formulas, SEMANTICS.md section 6). KIND: 0 sgd,
// 1 rmsprop, 2 adam. Nothing is written when guard[0] != 0 (a NaN/Inf was found earlier).
//   sgd:     momentum == 0: w -= lr*g;  else v = momentum*v - lr*g; w += v
//   rmsprop: s = rho*s + (1-rho)*g^2;   w -= lr*g / sqrt(s + eps)
//   adam:    m += (g-m)*(1-b1); v += (g^2-v)*(1-b2); w -= alpha * m / (sqrt(v) + eps),
//            alpha = lr*sqrt(1-b2^t)/(1-b1^t) computed on the host in f64.
//
// Streaming layout (as shaders/finite.wgsl, see streamGrid in src/backend/webgpu/context.ts):
// workgroups of 256, each invocation walks its elements with a stride of the whole grid, so a
// dispatch of fewer invocations than elements still covers everything, neighbouring invocations
// touch neighbouring addresses on every step, and a CPU-side implementation pays its
// per-invocation cost once per several elements. The *4 entry points read and write vec4s (every
// element count a multiple of 4); the others single floats. Both run the same vec4 arithmetic.

override KIND: u32 = 0u;

struct Params {
  n: u32,
  lr: f32,
  a: f32,     // sgd momentum | rmsprop rho | adam beta1
  b: f32,     // adam beta2
  eps: f32,
  alpha: f32, // adam step size
}

// One element group's new weight and slots.
struct Step {
  w: vec4<f32>,
  s0: vec4<f32>,
  s1: vec4<f32>,
}

fn update(lr: f32, a: f32, b: f32, eps: f32, alpha: f32, wi: vec4<f32>, gi: vec4<f32>, a0: vec4<f32>, a1: vec4<f32>) -> Step {
  switch KIND {
    case 0u: {
      if (a == 0.0) { return Step(wi - lr * gi, a0, a1); }
      let v = a * a0 - lr * gi;
      return Step(wi + v, v, a1);
    }
    case 1u: {
      let s = a * a0 + (1.0 - a) * gi * gi;
      return Step(wi - lr * gi / sqrt(s + eps), s, a1);
    }
    default: {
      let m = a0 + (gi - a0) * (1.0 - a);
      let v = a1 + (gi * gi - a1) * (1.0 - b);
      return Step(wi - alpha * m / (sqrt(v) + eps), m, v);
    }
  }
}

/** Whether slot 0 / slot 1 exist for this kind (sgd without momentum binds scratch stand-ins). */
fn hasSlot0(momentum: f32) -> bool {
  return KIND != 0u || momentum != 0.0;
}

fn hasSlot1() -> bool {
  return KIND == 2u;
}

/** This invocation's first element (group) and the grid stride. */
fn start(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  return vec2<u32>(gid.x + gid.y * nwg.x * 256u, nwg.x * nwg.y * 256u);
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
@group(0) @binding(5) var<storage, read> guard: array<f32>;
@group(0) @binding(1) var<storage, read_write> w4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> s04: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> s14: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < p.n; i += st.y) {
    let r = update(p.lr, p.a, p.b, p.eps, p.alpha, vec4<f32>(w[i]), vec4<f32>(g[i]), vec4<f32>(s0[i]), vec4<f32>(s1[i]));
    w[i] = r.w.x;
    if (hasSlot0(p.a)) { s0[i] = r.s0.x; }
    if (hasSlot1()) { s1[i] = r.s1.x; }
  }
}

@compute @workgroup_size(256)
fn main4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < p.n / 4u; i += st.y) {
    let r = update(p.lr, p.a, p.b, p.eps, p.alpha, w4[i], g4[i], s04[i], s14[i]);
    w4[i] = r.w;
    if (hasSlot0(p.a)) { s04[i] = r.s0; }
    if (hasSlot1()) { s14[i] = r.s1; }
  }
}

// `pair_one` / `pair_two`: the same step for two weights in one dispatch (a layer's kernel and
// bias, BN's gamma and beta). pair_one serves the kinds with at most one slot (sgd, rmsprop:
// 7 storage buffers), pair_two adam (9, used only where the device allows that many).
// q.n1 == 0 never happens (the host pairs two live weights).

struct PairParams {
  n0: u32,
  n1: u32,
  lr: f32,
  a: f32,
  b: f32,
  eps: f32,
  alpha: f32,
}

fn updateQ(wi: vec4<f32>, gi: vec4<f32>, a0: vec4<f32>, a1: vec4<f32>) -> Step {
  return update(q.lr, q.a, q.b, q.eps, q.alpha, wi, gi, a0, a1);
}

@group(0) @binding(0) var<uniform> q: PairParams;
// pair_one: q, w, g, s0, guard1, w1, g1, t0 (bindings 0..7).
@group(0) @binding(4) var<storage, read> guard1: array<f32>;
@group(0) @binding(5) var<storage, read_write> w1: array<f32>;
@group(0) @binding(6) var<storage, read> g1: array<f32>;
@group(0) @binding(7) var<storage, read_write> t0: array<f32>;
@group(0) @binding(5) var<storage, read_write> w14: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g14: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> t04: array<vec4<f32>>;
// pair_two: q, w, g, s0, s1, guard, w2, g2, u0, u1 (bindings 0..9).
@group(0) @binding(6) var<storage, read_write> w2: array<f32>;
@group(0) @binding(7) var<storage, read> g2: array<f32>;
@group(0) @binding(8) var<storage, read_write> u0: array<f32>;
@group(0) @binding(9) var<storage, read_write> u1: array<f32>;
@group(0) @binding(6) var<storage, read_write> w24: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> g24: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> u04: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> u14: array<vec4<f32>>;

@compute @workgroup_size(256)
fn pair_one(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard1[0] != 0.0) { return; }
  let st = start(gid, nwg);
  let zero = vec4<f32>();
  for (var i = st.x; i < q.n0; i += st.y) {
    let r = updateQ(vec4<f32>(w[i]), vec4<f32>(g[i]), vec4<f32>(s0[i]), zero);
    w[i] = r.w.x;
    if (hasSlot0(q.a)) { s0[i] = r.s0.x; }
  }
  for (var i = st.x; i < q.n1; i += st.y) {
    let r = updateQ(vec4<f32>(w1[i]), vec4<f32>(g1[i]), vec4<f32>(t0[i]), zero);
    w1[i] = r.w.x;
    if (hasSlot0(q.a)) { t0[i] = r.s0.x; }
  }
}

@compute @workgroup_size(256)
fn pair_one4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard1[0] != 0.0) { return; }
  let st = start(gid, nwg);
  let zero = vec4<f32>();
  for (var i = st.x; i < q.n0 / 4u; i += st.y) {
    let r = updateQ(w4[i], g4[i], s04[i], zero);
    w4[i] = r.w;
    if (hasSlot0(q.a)) { s04[i] = r.s0; }
  }
  for (var i = st.x; i < q.n1 / 4u; i += st.y) {
    let r = updateQ(w14[i], g14[i], t04[i], zero);
    w14[i] = r.w;
    if (hasSlot0(q.a)) { t04[i] = r.s0; }
  }
}

@compute @workgroup_size(256)
fn pair_two(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < q.n0; i += st.y) {
    let r = updateQ(vec4<f32>(w[i]), vec4<f32>(g[i]), vec4<f32>(s0[i]), vec4<f32>(s1[i]));
    w[i] = r.w.x;
    s0[i] = r.s0.x;
    s1[i] = r.s1.x;
  }
  for (var i = st.x; i < q.n1; i += st.y) {
    let r = updateQ(vec4<f32>(w2[i]), vec4<f32>(g2[i]), vec4<f32>(u0[i]), vec4<f32>(u1[i]));
    w2[i] = r.w.x;
    u0[i] = r.s0.x;
    u1[i] = r.s1.x;
  }
}

@compute @workgroup_size(256)
fn pair_two4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] != 0.0) { return; }
  let st = start(gid, nwg);
  for (var i = st.x; i < q.n0 / 4u; i += st.y) {
    let r = updateQ(w4[i], g4[i], s04[i], s14[i]);
    w4[i] = r.w;
    s04[i] = r.s0;
    s14[i] = r.s1;
  }
  for (var i = st.x; i < q.n1 / 4u; i += st.y) {
    let r = updateQ(w24[i], g24[i], u04[i], u14[i]);
    w24[i] = r.w;
    u04[i] = r.s0;
    u14[i] = r.s1;
  }
}
