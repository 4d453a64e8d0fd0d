// out = cond != 0 ? a : b, the three inputs broadcast to the output through per-axis strides.

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4<u32>, 2>,
  cStrides: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>,
  bStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;


@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[u32(d) / 4u][u32(d) % 4u];
    let c = rest % extent;
    rest = rest / extent;
    ic += c * p.cStrides[u32(d) / 4u][u32(d) % 4u];
    ia += c * p.aStrides[u32(d) / 4u][u32(d) % 4u];
    ib += c * p.bStrides[u32(d) / 4u][u32(d) % 4u];
  }
  out[i] = select(b[ib], a[ia], cond[ic] != 0.0);
}
