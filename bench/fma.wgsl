// The compute roofline: a register-only FMA loop (no memory traffic but one store per invocation).
// Each invocation runs ITERS steps of 8 independent vec4 FMA chains (enough independent work to
// hide FMA latency), so one dispatch does invocations * ITERS * 8 * 4 FMAs = 2x that in FLOPs.
// The result is stored so the loop cannot be removed; `seed` keeps it opaque to the compiler.

override WG: u32 = 64;
override ITERS: u32 = 1024;

@group(0) @binding(0) var<storage, read> seed: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = seed[0];
  let m = seed[1];
  var a0 = s + vec4<f32>(f32(gid.x));
  var a1 = a0 + 1.0;
  var a2 = a0 + 2.0;
  var a3 = a0 + 3.0;
  var a4 = a0 + 4.0;
  var a5 = a0 + 5.0;
  var a6 = a0 + 6.0;
  var a7 = a0 + 7.0;
  for (var i = 0u; i < ITERS; i++) {
    a0 = fma(a0, m, s);
    a1 = fma(a1, m, s);
    a2 = fma(a2, m, s);
    a3 = fma(a3, m, s);
    a4 = fma(a4, m, s);
    a5 = fma(a5, m, s);
    a6 = fma(a6, m, s);
    a7 = fma(a7, m, s);
  }
  out[gid.x] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}
