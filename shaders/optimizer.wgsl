// Fused optimizer steps, in place (Keras 3 formulas, SEMANTICS.md section 6). KIND: 0 sgd,
// 1 rmsprop, 2 adam. Nothing is written when guard[0] != 0 (a NaN/Inf was found earlier).
//   sgd:     momentum == 0: w -= lr*g;  else v = momentum*v - lr*g; w += v
//   rmsprop: s = rho*s + (1-rho)*g^2;   w -= lr*g / sqrt(s + eps)
//   adam:    m += (g-m)*(1-b1); v += (g^2-v)*(1-b2); w -= alpha * m / (sqrt(v) + eps),
//            alpha = lr*sqrt(1-b2^t)/(1-b1^t) computed on the host in f64.

override KIND: u32 = 0u;

struct Params {
  n: u32,
  lr: f32,
  a: f32,     // sgd momentum | rmsprop rho | adam beta1
  b: f32,     // adam beta2
  eps: f32,
  alpha: f32, // adam step size
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
@group(0) @binding(5) var<storage, read> guard: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n || guard[0] != 0.0) { return; }
  let gi = g[i];
  switch KIND {
    case 0u: {
      if (p.a == 0.0) {
        w[i] = w[i] - p.lr * gi;
      } else {
        let v = p.a * s0[i] - p.lr * gi;
        s0[i] = v;
        w[i] = w[i] + v;
      }
    }
    case 1u: {
      let s = p.a * s0[i] + (1.0 - p.a) * gi * gi;
      s0[i] = s;
      w[i] = w[i] - p.lr * gi / sqrt(s + p.eps);
    }
    default: {
      let m = s0[i] + (gi - s0[i]) * (1.0 - p.a);
      let v = s1[i] + (gi * gi - s1[i]) * (1.0 - p.b);
      s0[i] = m;
      s1[i] = v;
      w[i] = w[i] - p.alpha * m / (sqrt(v) + p.eps);
    }
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

@group(0) @binding(0) var<uniform> q: PairParams;
// pair_one: q, w, g, s0, guard1, w1, g1, t0 (bindings 0..7).
@group(0) @binding(4) var<storage, read> guard1: array<f32>;
@group(0) @binding(5) var<storage, read_write> w1: array<f32>;
@group(0) @binding(6) var<storage, read> g1: array<f32>;
@group(0) @binding(7) var<storage, read_write> t0: array<f32>;
// pair_two: q, w, g, s0, s1, guard, w2, g2, u0, u1 (bindings 0..9).
@group(0) @binding(6) var<storage, read_write> w2: array<f32>;
@group(0) @binding(7) var<storage, read> g2: array<f32>;
@group(0) @binding(8) var<storage, read_write> u0: array<f32>;
@group(0) @binding(9) var<storage, read_write> u1: array<f32>;

// (new w, new slot 0, new slot 1) for weight value wi, gradient gi, slots (a0, a1).
fn update(wi: f32, gi: f32, a0: f32, a1: f32) -> vec3<f32> {
  switch KIND {
    case 0u: {
      if (q.a == 0.0) { return vec3<f32>(wi - q.lr * gi, a0, a1); }
      let v = q.a * a0 - q.lr * gi;
      return vec3<f32>(wi + v, v, a1);
    }
    case 1u: {
      let s = q.a * a0 + (1.0 - q.a) * gi * gi;
      return vec3<f32>(wi - q.lr * gi / sqrt(s + q.eps), s, a1);
    }
    default: {
      let m = a0 + (gi - a0) * (1.0 - q.a);
      let v = a1 + (gi * gi - a1) * (1.0 - q.b);
      return vec3<f32>(wi - q.alpha * m / (sqrt(v) + q.eps), m, v);
    }
  }
}

@compute @workgroup_size(256)
fn pair_one(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (guard1[0] != 0.0) { return; }
  // sgd without momentum binds scratch stand-ins for the slots: never written.
  let slotted = KIND != 0u || q.a != 0.0;
  if (i < q.n0) {
    let r = update(w[i], g[i], s0[i], 0.0);
    w[i] = r.x;
    if (slotted) { s0[i] = r.y; }
  }
  if (i < q.n1) {
    let r = update(w1[i], g1[i], t0[i], 0.0);
    w1[i] = r.x;
    if (slotted) { t0[i] = r.y; }
  }
}

@compute @workgroup_size(256)
fn pair_two(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (guard[0] != 0.0) { return; }
  if (i < q.n0) {
    let r = update(w[i], g[i], s0[i], s1[i]);
    w[i] = r.x;
    s0[i] = r.y;
    s1[i] = r.z;
  }
  if (i < q.n1) {
    let r = update(w2[i], g2[i], u0[i], u1[i]);
    w2[i] = r.x;
    u0[i] = r.y;
    u1[i] = r.z;
  }
}
