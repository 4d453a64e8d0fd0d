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
