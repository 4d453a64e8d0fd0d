// Constant padding, any rank up to 8: one thread per output element. out has extent
// before[d] + in[d] + after[d] on axis d; cells outside the input hold `value`.

struct Params {
  n: u32,
  rank: u32,
  value: f32,
  outShape: array<vec4<u32>, 2>,
  inShape: array<vec4<u32>, 2>,
  inStrides: array<vec4<u32>, 2>,
  before: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;


@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var src = 0u;
  var inside = true;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let c = rest % p.outShape[k / 4u][k % 4u];
    rest = rest / p.outShape[k / 4u][k % 4u];
    let b = p.before[k / 4u][k % 4u];
    // Unsigned: c < b wraps to a huge value, so one comparison tests both ends.
    let ci = c - b;
    inside = inside && ci < p.inShape[k / 4u][k % 4u];
    src += ci * p.inStrides[k / 4u][k % 4u];
  }
  if (inside) { out[i] = x[src]; } else { out[i] = p.value; }
}
