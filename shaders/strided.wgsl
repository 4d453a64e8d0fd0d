// Generic strided copy: for every index of `shape`, dst[dstOffset + idx.dstStrides] =
// src[srcOffset + idx.srcStrides]. Covers transpose (permuted source strides), slice (source
// offset) and concat (destination offset and strides of the output).

struct Params {
  n: u32,
  rank: u32,
  srcOffset: u32,
  dstOffset: u32,
  shape: array<vec4<u32>, 2>,
  srcStrides: array<vec4<u32>, 2>,
  dstStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;


@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var s = p.srcOffset;
  var t = p.dstOffset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[u32(d) / 4u][u32(d) % 4u];
    let c = rest % extent;
    rest = rest / extent;
    s += c * p.srcStrides[u32(d) / 4u][u32(d) % 4u];
    t += c * p.dstStrides[u32(d) / 4u][u32(d) % 4u];
  }
  dst[t] = src[s];
}
